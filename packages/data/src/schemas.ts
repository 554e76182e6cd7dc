/**
 * The asset schemas, declared once with TypeBox. They drive row validation during ingest, the
 * generated docs, and (as plain JSON Schema) the HTTP API of the service.
 * @packageDocumentation
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';

/** Kinds of user event Souk understands, in funnel order. */
export const EVENT_TYPES = ['search', 'view', 'click', 'cart', 'purchase', 'rating'] as const;

/** One of {@link EVENT_TYPES}. */
export type EventType = (typeof EVENT_TYPES)[number];

/** Largest accepted length of an id (user, item, session, order). */
export const MAX_ID_LENGTH = 256;
/** Largest accepted length of a free-text field (title, query). */
export const MAX_TEXT_LENGTH = 65_536;

const Id = Type.String({ minLength: 1, maxLength: MAX_ID_LENGTH, description: 'Business identifier' });

/** JSON Schema of an event type. */
export const EventTypeSchema = Type.Union(
  EVENT_TYPES.map((t) => Type.Literal(t)),
  { $id: 'EventType', description: 'Kind of user event' },
);

/**
 * A user event: a search, view, click, add-to-cart, purchase or rating.
 * `timestamp` is milliseconds since the Unix epoch (UTC). `item` is absent for searches;
 * `value` is the rating for ratings, the amount for purchases.
 */
export const EventSchema = Type.Object(
  {
    user: Id,
    item: Type.Optional(Id),
    type: EventTypeSchema,
    value: Type.Optional(Type.Number({ description: 'Rating value, or amount for purchases' })),
    query: Type.Optional(Type.String({ maxLength: MAX_TEXT_LENGTH, description: 'Search query text' })),
    timestamp: Type.Integer({ description: 'Milliseconds since 1970-01-01T00:00:00Z' }),
    session: Type.Optional(Id),
  },
  { $id: 'Event', additionalProperties: false },
);
/** A validated event. */
export type EventRecord = Static<typeof EventSchema>;

/** Scalar values allowed in item and user attributes. */
export const AttributeValueSchema = Type.Union([Type.String(), Type.Number(), Type.Boolean()]);

/** A catalog item. `categoryPath` runs from the root to the leaf. */
export const ItemSchema = Type.Object(
  {
    id: Id,
    title: Type.String({ maxLength: MAX_TEXT_LENGTH }),
    brand: Type.Optional(Type.String({ maxLength: 1024 })),
    categoryPath: Type.Array(Type.String({ minLength: 1, maxLength: 1024 }), { maxItems: 32 }),
    price: Type.Optional(Type.Number({ minimum: 0 })),
    currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code' })),
    tags: Type.Array(Type.String({ maxLength: 1024 }), { maxItems: 1024 }),
    attributes: Type.Record(Type.String(), AttributeValueSchema),
    inStock: Type.Boolean(),
  },
  { $id: 'Item', additionalProperties: false },
);
/** A validated item. */
export type ItemRecord = Static<typeof ItemSchema>;

/** A user, with optional attributes (segment, country, …). */
export const UserSchema = Type.Object(
  { id: Id, attributes: Type.Record(Type.String(), AttributeValueSchema) },
  { $id: 'User', additionalProperties: false },
);
/** A validated user. */
export type UserRecord = Static<typeof UserSchema>;

/** One line of a transaction. */
export const TransactionLineSchema = Type.Object(
  {
    item: Id,
    quantity: Type.Number({ exclusiveMinimum: 0 }),
    price: Type.Optional(Type.Number({ minimum: 0 })),
  },
  { additionalProperties: false },
);

/** An order or basket: who bought which items, when, for how much. */
export const TransactionSchema = Type.Object(
  {
    id: Id,
    user: Type.Optional(Id),
    timestamp: Type.Optional(Type.Integer()),
    lines: Type.Array(TransactionLineSchema, { minItems: 1, maxItems: 10_000 }),
    total: Type.Optional(Type.Number({ minimum: 0 })),
    currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$' })),
  },
  { $id: 'Transaction', additionalProperties: false },
);
/** A validated transaction. */
export type TransactionRecord = Static<typeof TransactionSchema>;

/** Names of the stored assets. */
export type AssetName = 'events' | 'items' | 'users' | 'transactions';

/** The schema of each asset, by name. */
export const ASSET_SCHEMAS: { readonly [K in AssetName]: TSchema } = {
  events: EventSchema,
  items: ItemSchema,
  users: UserSchema,
  transactions: TransactionSchema,
};

const compiled = new Map<AssetName, TypeCheck<TSchema>>();

/** The compiled (fast) validator of an asset's schema. */
export function assetValidator(asset: AssetName): TypeCheck<TSchema> {
  let check = compiled.get(asset);
  if (!check) {
    check = TypeCompiler.Compile(ASSET_SCHEMAS[asset]);
    compiled.set(asset, check);
  }
  return check;
}

/** A single validation failure: which field and why. */
export interface FieldProblem {
  /** Field name (a JSON pointer's last segments, e.g. `timestamp` or `lines/0/item`). */
  readonly field: string;
  /** Human-readable reason. */
  readonly reason: string;
}

/** Validates a value against an asset schema; returns the first problem or `undefined` when valid. */
export function validateAsset(asset: AssetName, value: unknown): FieldProblem | undefined {
  const check = assetValidator(asset);
  if (check.Check(value)) return undefined;
  const first = check.Errors(value).First();
  if (!first) return { field: '', reason: 'invalid record' };
  const field = first.path.replace(/^\//, '') || '(record)';
  const shown = first.value === undefined ? 'nothing' : JSON.stringify(first.value)?.slice(0, 60);
  return { field, reason: `${first.message} (received ${shown})` };
}

/** The JSON Schema documents of all assets, by name (for API definitions and docs). */
export function assetJsonSchemas(): Record<AssetName, object> {
  // TypeBox schemas are JSON Schema already; a structured clone drops the symbol keys.
  return JSON.parse(JSON.stringify(ASSET_SCHEMAS)) as Record<AssetName, object>;
}
