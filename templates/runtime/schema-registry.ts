/**
 * A small client for the Confluent-compatible schema registry API (Confluent Schema Registry, Apicurio's
 * `/apis/ccompat/v7`, Redpanda, Karapace): the few calls eventgen needs, over `fetch`. Ids and schemas are cached
 * (bounded): a schema id never changes meaning, so a cached id keeps working while the registry is down.
 */
import { DecodeError } from './errors.js';

/** Credentials: HTTP basic (Confluent Cloud API key/secret) or a bearer token (OAuth). */
export type SchemaRegistryAuth = { username: string; password: string } | { token: string };

/** Options of {@link SchemaRegistryClient}. */
export interface SchemaRegistryOptions {
  /** Base URL, e.g. `http://localhost:8081` or `http://host/apis/ccompat/v7` (no trailing slash needed). */
  url: string;
  /** Credentials (default none). */
  auth?: SchemaRegistryAuth;
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
  /** Most entries per cache (ids by subject+schema, schemas by id; default 10 000). */
  maxCacheEntries?: number;
  /** `fetch` to use (default the global one). */
  fetch?: typeof fetch;
}

/** The schema registry answered with an error (4xx) or could not be reached (`unavailable`: network, timeout, 5xx). */
export class SchemaRegistryError extends Error {
  override name = 'SchemaRegistryError';
  /** HTTP status (undefined when no answer). */
  readonly status: number | undefined;
  /** Confluent error code (e.g. 40401 subject not found, 40403 schema not found, 409 incompatible). */
  readonly errorCode: number | undefined;
  /** True when the registry did not answer (or answered 5xx): a later attempt may succeed. */
  readonly unavailable: boolean;

  constructor(message: string, details: { status?: number; errorCode?: number; unavailable: boolean; cause?: unknown }) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.status = details.status;
    this.errorCode = details.errorCode;
    this.unavailable = details.unavailable;
  }
}

/** A schema id the registry does not know (never retriable: the bytes name a schema nobody can read). */
export class UnknownSchemaIdError extends DecodeError {
  override name = 'UnknownSchemaIdError';
  /** The id from the record. */
  readonly schemaId: number;
  constructor(schemaId: number, registryUrl: string) {
    super(`Schema id ${schemaId} is not known to the schema registry at ${registryUrl}`);
    this.schemaId = schemaId;
  }
}

/** A registered schema. */
export interface RegisteredSchema {
  subject: string;
  version: number;
  id: number;
  schema: string;
  schemaType?: string;
}

/** Compatibility levels of the Confluent API. */
export type CompatibilityLevel = 'NONE' | 'BACKWARD' | 'BACKWARD_TRANSITIVE' | 'FORWARD' | 'FORWARD_TRANSITIVE' | 'FULL' | 'FULL_TRANSITIVE';

/** Result of a compatibility check. */
export interface CompatibilityResult {
  compatible: boolean;
  /** The registry's reasons, when it gave any (verbose mode). */
  messages: string[];
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

/** A bounded map: the oldest entry leaves first. */
class BoundedCache<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly max: number) {}
  get(key: K): V | undefined {
    return this.map.get(key);
  }
  set(key: K, value: V): void {
    if (!this.map.has(key) && this.map.size >= this.max) {
      const oldest = this.map.keys().next();
      if (oldest.done !== true) this.map.delete(oldest.value);
    }
    this.map.set(key, value);
  }
}

/** The Confluent-compatible schema registry calls eventgen uses; see the file comment. */
export class SchemaRegistryClient {
  /** Base URL without trailing slash. */
  readonly url: string;
  private readonly authorization: string | undefined;
  private readonly timeoutMs: number;
  private readonly fetchFn: typeof fetch;
  private readonly ids: BoundedCache<string, number>;
  private readonly schemas: BoundedCache<number, string>;
  private readonly inflight = new Map<string, Promise<unknown>>();

  constructor(options: SchemaRegistryOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch {
      throw new Error(`Schema registry URL is not a URL: ${options.url}`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`Schema registry URL must be http(s): ${options.url}`);
    if (parsed.username !== '' || parsed.password !== '') throw new Error('Put schema registry credentials in `auth`, not in the URL');
    this.url = options.url.replace(/\/+$/, '');
    const auth = options.auth;
    this.authorization =
      auth === undefined ? undefined : 'token' in auth ? `Bearer ${auth.token}` : `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}`;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.fetchFn = options.fetch ?? fetch;
    const max = options.maxCacheEntries ?? 10_000;
    this.ids = new BoundedCache(max);
    this.schemas = new BoundedCache(max);
  }

  /** The id of `schema` under `subject`, registering it (a new version) when it is not there yet. Cached. */
  register(subject: string, schema: string, schemaType = 'AVRO'): Promise<number> {
    return this.cachedId('register', subject, schema, schemaType, async () => {
      const body = await this.request<{ id: number }>('POST', `/subjects/${enc(subject)}/versions`, schemaBody(schema, schemaType));
      return body.id;
    });
  }

  /** The id of `schema` under `subject` without registering it; a {@link SchemaRegistryError} (40401/40403) when absent. Cached. */
  lookup(subject: string, schema: string, schemaType = 'AVRO'): Promise<number> {
    return this.cachedId('lookup', subject, schema, schemaType, async () => {
      const body = await this.request<RegisteredSchema>('POST', `/subjects/${enc(subject)}`, schemaBody(schema, schemaType));
      return body.id;
    });
  }

  /** The schema (JSON text) with this id. Cached forever (ids are immutable). @throws UnknownSchemaIdError when absent. */
  async schemaById(id: number): Promise<string> {
    const hit = this.schemas.get(id);
    if (hit !== undefined) return hit;
    return this.once(`id:${id}`, async () => {
      try {
        const body = await this.request<{ schema: string }>('GET', `/schemas/ids/${id}`);
        this.schemas.set(id, body.schema);
        return body.schema;
      } catch (error) {
        if (error instanceof SchemaRegistryError && error.status === 404) throw new UnknownSchemaIdError(id, this.url);
        throw error;
      }
    });
  }

  /** The latest version under `subject`, or undefined when the subject does not exist. */
  async latest(subject: string): Promise<RegisteredSchema | undefined> {
    try {
      return await this.request<RegisteredSchema>('GET', `/subjects/${enc(subject)}/versions/latest`);
    } catch (error) {
      if (error instanceof SchemaRegistryError && error.status === 404) return undefined;
      throw error;
    }
  }

  /** The subjects. */
  subjects(): Promise<string[]> {
    return this.request<string[]>('GET', '/subjects');
  }

  /** Whether `schema` may be registered under `subject` next to `version` (default the latest), by the subject's level. */
  async checkCompatibility(subject: string, schema: string, version: number | 'latest' = 'latest', schemaType = 'AVRO'): Promise<CompatibilityResult> {
    const body = await this.request<{ is_compatible: boolean; messages?: unknown }>(
      'POST',
      `/compatibility/subjects/${enc(subject)}/versions/${version}?verbose=true`,
      schemaBody(schema, schemaType),
    );
    const messages = Array.isArray(body.messages) ? body.messages.map((m) => String(m)) : [];
    return { compatible: body.is_compatible === true, messages };
  }

  /** The compatibility level of `subject` (undefined when it has none of its own), or the global one without a subject. */
  async compatibility(subject?: string): Promise<CompatibilityLevel | undefined> {
    try {
      const body = await this.request<{ compatibilityLevel?: CompatibilityLevel; compatibility?: CompatibilityLevel }>('GET', subject === undefined ? '/config' : `/config/${enc(subject)}`);
      return body.compatibilityLevel ?? body.compatibility;
    } catch (error) {
      if (subject !== undefined && error instanceof SchemaRegistryError && error.status === 404) return undefined;
      throw error;
    }
  }

  /** Sets the compatibility level of `subject` (or the global one). */
  async setCompatibility(level: CompatibilityLevel, subject?: string): Promise<void> {
    await this.request('PUT', subject === undefined ? '/config' : `/config/${enc(subject)}`, { compatibility: level });
  }

  /** Deletes a subject (soft, then `permanent`); returns the deleted versions. */
  deleteSubject(subject: string, permanent = false): Promise<number[]> {
    return this.request<number[]>('DELETE', `/subjects/${enc(subject)}${permanent ? '?permanent=true' : ''}`);
  }

  private async cachedId(op: string, subject: string, schema: string, schemaType: string, load: () => Promise<number>): Promise<number> {
    const key = `${subject}\u0000${schemaType}\u0000${schema}`;
    const hit = this.ids.get(key);
    if (hit !== undefined) return hit;
    return this.once(`${op}:${key}`, async () => {
      const id = await load();
      if (!Number.isInteger(id)) throw new SchemaRegistryError(`Schema registry returned no id for subject ${subject}`, { unavailable: false });
      this.ids.set(key, id);
      this.schemas.set(id, schema);
      return id;
    });
  }

  /** One request per key at a time: concurrent callers share it. */
  private once<T>(key: string, run: () => Promise<T>): Promise<T> {
    const pending = this.inflight.get(key) as Promise<T> | undefined;
    if (pending !== undefined) return pending;
    const p = run().finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: `${CONTENT_TYPE}, application/json` };
    if (body !== undefined) headers['content-type'] = CONTENT_TYPE;
    if (this.authorization !== undefined) headers['authorization'] = this.authorization;
    const where = `${method} ${this.url}${path.replace(/\?.*$/, '')}`;
    let res: Response;
    try {
      res = await this.fetchFn(`${this.url}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const timeout = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      const why = timeout ? `no answer within ${this.timeoutMs} ms` : (error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error));
      throw new SchemaRegistryError(`Schema registry unreachable (${where}): ${why}`, { unavailable: true, cause: error });
    }
    const text = await res.text().catch(() => '');
    if (!res.ok) {
      let errorCode: number | undefined;
      let message = text.slice(0, 500);
      try {
        const parsed = JSON.parse(text) as { error_code?: unknown; message?: unknown };
        if (typeof parsed.error_code === 'number') errorCode = parsed.error_code;
        if (typeof parsed.message === 'string') message = parsed.message;
      } catch {}
      const auth = res.status === 401 || res.status === 403 ? ' (check the registry credentials)' : '';
      throw new SchemaRegistryError(`Schema registry answered ${res.status}${auth} to ${where}: ${message}`, {
        status: res.status,
        ...(errorCode === undefined ? {} : { errorCode }),
        unavailable: res.status >= 500 || res.status === 429,
      });
    }
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new SchemaRegistryError(`Schema registry answered ${where} with something that is not JSON: ${text.slice(0, 200)}`, { status: res.status, unavailable: false, cause: error });
    }
  }
}

function enc(subject: string): string {
  return encodeURIComponent(subject);
}

function schemaBody(schema: string, schemaType: string): Record<string, string> {
  // Confluent's default type is AVRO and some registries refuse an explicit AVRO: send schemaType only otherwise.
  return schemaType === 'AVRO' ? { schema } : { schema, schemaType };
}
