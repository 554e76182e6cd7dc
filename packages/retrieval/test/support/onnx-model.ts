/**
 * Builds tiny ONNX models for the encoder tests, written straight to protobuf wire format from
 * the field numbers of `onnx.proto` (ModelProto, GraphProto, NodeProto, AttributeProto,
 * TensorProto, ValueInfoProto, TypeProto, TensorShapeProto), so the tests need no Python and no
 * model download.
 *
 * Wire format: each field is a varint key `(field << 3) | wireType` followed by a varint (type 0)
 * or a length-delimited payload (type 2: varint length, then bytes). Repeated scalars are written
 * packed (one length-delimited field holding the varints or the little-endian floats).
 */

/** Bytes of a protobuf message under construction. */
class Message {
  private readonly parts: Uint8Array[] = [];

  private push(bytes: Uint8Array | number[]): void {
    this.parts.push(bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes));
  }

  /** A varint field (int32, int64, enum). Negative values take ten bytes (two's complement). */
  varint(field: number, value: number | bigint): this {
    this.push(varint(BigInt((field << 3) | 0)));
    this.push(varint(BigInt.asUintN(64, BigInt(value))));
    return this;
  }

  /** A length-delimited field: bytes, a string, or an embedded message. */
  bytes(field: number, payload: Uint8Array | string | Message): this {
    const data = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload instanceof Message ? payload.finish() : payload;
    this.push(varint(BigInt((field << 3) | 2)));
    this.push(varint(BigInt(data.length)));
    this.push(data);
    return this;
  }

  /** A packed repeated int64 field. */
  packedInts(field: number, values: readonly number[]): this {
    const body = new Message();
    for (const v of values) body.push(varint(BigInt.asUintN(64, BigInt(v))));
    return this.bytes(field, body.finish());
  }

  /** A packed repeated float field (little-endian IEEE 754 single precision). */
  packedFloats(field: number, values: ArrayLike<number>): this {
    const data = new Uint8Array(values.length * 4);
    const view = new DataView(data.buffer);
    for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
    return this.bytes(field, data);
  }

  /** The encoded message. */
  finish(): Uint8Array {
    const length = this.parts.reduce((s, p) => s + p.length, 0);
    const out = new Uint8Array(length);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

function varint(value: bigint): number[] {
  const out: number[] = [];
  let v = value;
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}

/** ONNX element types used here (TensorProto.DataType). */
export const ONNX_FLOAT = 1;
/** 64-bit signed integer element type. */
export const ONNX_INT64 = 7;

/** A tensor value description: name, element type, shape (numbers fixed, strings symbolic). */
export interface TensorInfo {
  readonly name: string;
  readonly type: number;
  readonly shape: ReadonlyArray<number | string>;
}

function valueInfo(info: TensorInfo): Message {
  const shape = new Message();
  for (const d of info.shape) shape.bytes(1, typeof d === 'number' ? new Message().varint(1, d) : new Message().bytes(2, d));
  const tensorType = new Message().varint(1, info.type).bytes(2, shape);
  return new Message().bytes(1, info.name).bytes(2, new Message().bytes(1, tensorType));
}

/** A graph node: operator, inputs, outputs and integer-list / integer attributes. */
export interface NodeSpec {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly ints?: Readonly<Record<string, readonly number[]>>;
  readonly int?: Readonly<Record<string, number>>;
}

function node(spec: NodeSpec, index: number): Message {
  const m = new Message();
  for (const i of spec.inputs) m.bytes(1, i);
  for (const o of spec.outputs) m.bytes(2, o);
  m.bytes(3, `${spec.op.toLowerCase()}_${index}`).bytes(4, spec.op);
  // AttributeProto: name 1, i 3, ints 8, type 20 (INT = 2, INTS = 7).
  for (const [name, values] of Object.entries(spec.ints ?? {})) m.bytes(5, new Message().bytes(1, name).packedInts(8, values).varint(20, 7));
  for (const [name, value] of Object.entries(spec.int ?? {})) m.bytes(5, new Message().bytes(1, name).varint(3, value).varint(20, 2));
  return m;
}

/** An initializer: a float tensor or an int64 tensor with its dims. */
export interface InitializerSpec {
  readonly name: string;
  readonly dims: readonly number[];
  readonly floats?: ArrayLike<number>;
  readonly int64s?: readonly number[];
}

function initializer(spec: InitializerSpec): Message {
  const t = new Message().packedInts(1, spec.dims);
  if (spec.floats) t.varint(2, ONNX_FLOAT).packedFloats(4, spec.floats);
  else t.varint(2, ONNX_INT64).packedInts(7, spec.int64s ?? []);
  return t.bytes(8, spec.name);
}

/** A whole graph. */
export interface GraphSpec {
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  readonly nodes: readonly NodeSpec[];
  readonly initializers: readonly InitializerSpec[];
  /** Default opset of the default domain (13). */
  readonly opset?: number;
}

/** Serialises a ModelProto (IR version 8) holding the graph. */
export function encodeModel(spec: GraphSpec): Uint8Array {
  const graph = new Message();
  spec.nodes.forEach((n, i) => graph.bytes(1, node(n, i)));
  graph.bytes(2, 'souk_test_graph');
  for (const init of spec.initializers) graph.bytes(5, initializer(init));
  for (const i of spec.inputs) graph.bytes(11, valueInfo(i));
  for (const o of spec.outputs) graph.bytes(12, valueInfo(o));
  return new Message()
    .varint(1, 8) // ir_version
    .bytes(2, 'souk-tests') // producer_name
    .bytes(7, graph)
    .bytes(8, new Message().bytes(1, '').varint(2, spec.opset ?? 13)) // opset_import
    .finish();
}

/** Shapes of the embedding models {@link embeddingModel} builds. */
export type EmbeddingModelKind =
  /** input_ids → Gather → `hidden` [batch, seq, dim] (the encoder pools). */
  | 'sequence'
  /** input_ids, attention_mask → Gather × mask → `hidden` [batch, seq, dim]. */
  | 'masked'
  /** input_ids → Gather → ReduceMean over the sequence → `pooled` [batch, dim]. */
  | 'pooled';

/**
 * A token-embedding model: the table (row-major, `vocabSize × dim`) is an initializer and the
 * graph gathers its rows for the input ids (the smallest "sentence encoder" there is).
 */
export function embeddingModel(table: Float32Array, vocabSize: number, dim: number, kind: EmbeddingModelKind): Uint8Array {
  const ids: TensorInfo = { name: 'input_ids', type: ONNX_INT64, shape: ['batch', 'seq'] };
  const embeddings: InitializerSpec = { name: 'embeddings', dims: [vocabSize, dim], floats: table };
  if (kind === 'sequence') {
    return encodeModel({
      inputs: [ids],
      outputs: [{ name: 'hidden', type: ONNX_FLOAT, shape: ['batch', 'seq', dim] }],
      nodes: [{ op: 'Gather', inputs: ['embeddings', 'input_ids'], outputs: ['hidden'], int: { axis: 0 } }],
      initializers: [embeddings],
    });
  }
  if (kind === 'pooled') {
    return encodeModel({
      inputs: [ids],
      outputs: [{ name: 'pooled', type: ONNX_FLOAT, shape: ['batch', dim] }],
      nodes: [
        { op: 'Gather', inputs: ['embeddings', 'input_ids'], outputs: ['tokens'], int: { axis: 0 } },
        { op: 'ReduceMean', inputs: ['tokens'], outputs: ['pooled'], ints: { axes: [1] }, int: { keepdims: 0 } },
      ],
      initializers: [embeddings],
    });
  }
  return encodeModel({
    inputs: [ids, { name: 'attention_mask', type: ONNX_INT64, shape: ['batch', 'seq'] }],
    outputs: [{ name: 'hidden', type: ONNX_FLOAT, shape: ['batch', 'seq', dim] }],
    nodes: [
      { op: 'Gather', inputs: ['embeddings', 'input_ids'], outputs: ['tokens'], int: { axis: 0 } },
      { op: 'Cast', inputs: ['attention_mask'], outputs: ['mask_float'], int: { to: ONNX_FLOAT } },
      { op: 'Unsqueeze', inputs: ['mask_float', 'last_axis'], outputs: ['mask_3d'] },
      { op: 'Mul', inputs: ['tokens', 'mask_3d'], outputs: ['hidden'] },
    ],
    initializers: [embeddings, { name: 'last_axis', dims: [1], int64s: [2] }],
  });
}
