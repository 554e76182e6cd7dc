// native/cuda_bridge/bridge_none.cc — bridge.h for an addon built without CUDA (SOUK_CUDA off or no
// nvcc): the probe reports "built without CUDA" and every device entry returns Code::NoDevice.
#include "bridge.h"

namespace souk_cuda_bridge {

namespace {

souk::Status none() {
  return souk::Status(souk::Code::NoDevice, "backend 'cuda' was asked for but " + device_info().reason);
}

DeviceInfo probe() {
  DeviceInfo d;
  d.reason = "this addon was built without CUDA (rebuild with nvcc on PATH, or SOUK_CUDA=ON)";
  return d;
}

}  // namespace

const DeviceInfo& device_info() {
  static const DeviceInfo info = probe();
  return info;
}

souk::Status memory_info(int64_t* free_bytes, int64_t* total_bytes) {
  *free_bytes = *total_bytes = 0;
  return none();
}

DeviceMatrix::~DeviceMatrix() = default;

souk::Status upload_matrix(const float*, int64_t, int64_t, std::shared_ptr<DeviceMatrix>* out) {
  out->reset();
  return none();
}
souk::Status download_matrix(const DeviceMatrix&, float*) { return none(); }
souk::Status scores(const Operand&, const Operand&, const souk::MutMatrixView&) { return none(); }
souk::Status topk(const Operand&, const Operand&, const souk::TopKParams&, const souk::TopKOut&) { return none(); }
souk::Status softmax_topk(const Operand&, const Operand&, const souk::SoftmaxParams&, const souk::TopKOut&,
                          const souk::SoftmaxOut&) {
  return none();
}
souk::Status sample_topk(const Operand&, const Operand&, const souk::SampleParams&, const souk::TopKOut&,
                         const souk::SoftmaxOut&) {
  return none();
}
souk::Status gram(const Operand&, const souk::MutMatrixView&) { return none(); }
souk::Status als_solve(const souk::CsrView&, const souk::MatrixView&, const souk::MatrixView&, const souk::MutMatrixView&,
                       const souk::AlsParams&) {
  return none();
}
souk::Status als_loss(const souk::CsrView&, const souk::MatrixView&, const souk::MatrixView&, const souk::AlsLossParams&,
                      souk::AlsLossOut*) {
  return none();
}
souk::Status sgd_epoch(const souk::CsrView&, const souk::MutMatrixView&, const souk::MutMatrixView&,
                       const souk::MutVectorView&, const souk::MutVectorView&, const souk::SgdParams&, souk::SgdOut*,
                       int64_t) {
  return none();
}
souk::Status bpr_epoch(const souk::CsrView&, const souk::MutMatrixView&, const souk::MutMatrixView&,
                       const souk::MutVectorView&, const souk::BprParams&, souk::BprOut*, int64_t) {
  return none();
}
souk::Status measure_limits(int64_t, int, double, DeviceLimits* out) {
  *out = DeviceLimits{};
  return none();
}

}  // namespace souk_cuda_bridge
