// Bodies in application/vnd.kubernetes.protobuf, which client-go's typed clients send for
// built-in kinds (Helm's release Secrets, `kubectl create namespace/token/rolebinding`):
// the "k8s\0" envelope around a runtime.Unknown, whose raw bytes are decoded with the field
// tables of schemas/protobuf-messages.json into the JSON the Go server would have decoded
// (zero values dropped as omitempty does). Kinds without a table are 415, as before.
import type { KubeObject } from '../types.ts';
// A module import, so that the build carries the file into dist/.
import protobufMessages from '../schemas/protobuf-messages.json' with { type: 'json' };
import { badRequest } from './status.ts';

export const protobufMediaType = 'application/vnd.kubernetes.protobuf';

interface FieldSpec {
  readonly name: string;
  readonly type?: string;
  readonly repeated?: boolean;
  /** Key and value types of a map field. */
  readonly map?: readonly string[];
}
type MessageSpec = Readonly<Record<string, FieldSpec>>;
const messages: Readonly<Record<string, MessageSpec>> = protobufMessages.messages;

const meta = 'k8s.io.apimachinery.pkg.apis.meta.v1';
const envelope = Buffer.from('k8s\0', 'latin1');
// A few Go fields whose protobuf name is not their JSON name.
const jsonNames: Readonly<Record<string, string>> = { uID: 'uid' };

/** The message a kind is encoded as: k8s.io/api's package of its group, or meta/v1. */
const messageFor = (apiVersion: string, kind: string): string | undefined => {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const candidates = [
    `k8s.io.api.${group === '' ? 'core' : (group ?? '').split('.')[0]}.${version}.${kind}`,
    `${meta}.${kind}`,
  ];
  return candidates.find((name) => messages[name] !== undefined);
};

/** Whether bodies of this kind can be decoded. */
export const protobufDecodes = (apiVersion: string, kind: string): boolean =>
  messageFor(apiVersion, kind) !== undefined;

class Reader {
  private at = 0;
  constructor(private readonly bytes: Buffer) {}
  get done(): boolean {
    return this.at >= this.bytes.length;
  }
  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (this.at >= this.bytes.length || shift > 63n) throw truncated();
      const byte = this.bytes[this.at++] ?? 0;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
    }
  }
  take(length: number): Buffer {
    if (this.at + length > this.bytes.length) throw truncated();
    const out = this.bytes.subarray(this.at, this.at + length);
    this.at += length;
    return out;
  }
  /** The value of a field of `wireType`, as a varint or bytes. */
  value(wireType: number): bigint | Buffer {
    switch (wireType) {
      case 0:
        return this.varint();
      case 1:
        return this.take(8);
      case 2:
        return this.take(Number(this.varint()));
      case 5:
        return this.take(4);
      default:
        throw badRequest(`proto: illegal wireType ${wireType}`);
    }
  }
}

const truncated = () => badRequest('proto: unexpected EOF');

/** Each field of a message body, in wire order. */
const fields = function* (bytes: Buffer): Generator<[number, bigint | Buffer]> {
  const reader = new Reader(bytes);
  while (!reader.done) {
    const key = Number(reader.varint());
    yield [key >>> 3, reader.value(key & 7)];
  }
};

const isZero = (value: unknown): boolean =>
  value === '' || value === 0 || value === false || value === null;

/** metav1.Time as JSON: RFC 3339 at second precision (MicroTime: microseconds). */
const time = (bytes: Buffer, micro: boolean): string | null => {
  let seconds = 0n;
  let nanos = 0n;
  for (const [number, value] of fields(bytes)) {
    if (typeof value !== 'bigint') continue;
    if (number === 1) seconds = BigInt.asIntN(64, value);
    if (number === 2) nanos = value;
  }
  if (seconds === 0n && nanos === 0n) return null;
  const iso = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  return micro ? `${iso}.${String(nanos / 1000n).padStart(6, '0')}Z` : `${iso}Z`;
};

const scalar = (type: string, value: bigint | Buffer): unknown => {
  if (typeof value === 'bigint') {
    if (type === 'bool') return value !== 0n;
    return Number(type === 'int64' || type === 'int32' ? BigInt.asIntN(64, value) : value);
  }
  if (type === 'string') return value.toString('utf8');
  if (type === 'bytes') return value.toString('base64');
  return decodeMessage(type, value);
};

const decodeMessage = (name: string, bytes: Buffer): unknown => {
  if (name === `${meta}.Time` || name === `${meta}.MicroTime`) {
    return time(bytes, name.endsWith('MicroTime'));
  }
  if (name === `${meta}.FieldsV1`) {
    const raw = [...fields(bytes)].find(([n]) => n === 1)?.[1];
    return Buffer.isBuffer(raw) ? (JSON.parse(raw.toString('utf8')) as unknown) : {};
  }
  const spec = messages[name];
  if (!spec) throw badRequest(`proto: no message ${name}`);
  const out: Record<string, unknown> = {};
  for (const [number, value] of fields(bytes)) {
    const field = spec[String(number)];
    if (!field) continue; // unknown fields are skipped, as gogo-protobuf does
    const key = jsonNames[field.name] ?? field.name;
    if (field.map) {
      if (!Buffer.isBuffer(value)) continue;
      let entryKey: unknown = '';
      let entryValue: unknown = field.map[1] === 'string' ? '' : null;
      for (const [n, v] of fields(value)) {
        if (n === 1) entryKey = scalar(field.map[0] ?? '', v);
        if (n === 2) entryValue = scalar(field.map[1] ?? '', v);
      }
      const map = (out[key] ??= {}) as Record<string, unknown>;
      map[String(entryKey)] = entryValue;
    } else if (field.repeated) {
      ((out[key] ??= []) as unknown[]).push(scalar(field.type ?? '', value));
    } else {
      const decoded = scalar(field.type ?? '', value);
      // Zero values are what omitempty leaves out of the JSON.
      if (isZero(decoded)) delete out[key];
      else out[key] = decoded;
    }
  }
  return out;
};

/** The object a protobuf request body holds, with apiVersion and kind from its envelope. */
export const decodeProtobuf = (body: Buffer): KubeObject => {
  if (!body.subarray(0, 4).equals(envelope)) {
    throw badRequest('provided object is not a Kubernetes protobuf message (missing "k8s\\0")');
  }
  const unknown = decodeMessage(`k8s.io.apimachinery.pkg.runtime.Unknown`, body.subarray(4)) as {
    typeMeta?: { apiVersion?: string; kind?: string };
    raw?: string;
  };
  const apiVersion = unknown.typeMeta?.apiVersion ?? '';
  const kind = unknown.typeMeta?.kind ?? '';
  const name = messageFor(apiVersion, kind);
  if (!name) throw badRequest(`no kind "${kind}" is registered for version "${apiVersion}"`);
  const object = decodeMessage(name, Buffer.from(unknown.raw ?? '', 'base64')) as Record<
    string,
    unknown
  >;
  return { apiVersion, kind, metadata: {}, ...object };
};
