// Request plumbing: bounded body reading, body decoding by Content-Type and response format
// negotiation by Accept (JSON, YAML, meta.k8s.io Table) as kube-apiserver does it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import YAML from 'yaml';
import { StatusError } from '../types.ts';
import { decodeProtobuf, protobufDecodes, protobufMediaType } from './protobuf.ts';
import type { TableRequest } from './table.ts';
import { badRequest, unsupportedMediaType } from './status.ts';

/** kube-apiserver's default request body limit (3 MiB). */
export const maxBodyBytes = 3 * 1024 * 1024;

export interface MediaRange {
  readonly type: string;
  readonly params: Readonly<Record<string, string>>;
}

export const parseMediaRanges = (header: string | undefined): MediaRange[] =>
  (header ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      const [type = '', ...rest] = part.split(';').map((p) => p.trim());
      const params: Record<string, string> = {};
      for (const p of rest) {
        const eq = p.indexOf('=');
        if (eq > 0) params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim();
      }
      return { type: type.toLowerCase(), params };
    });

/** The body's media type without parameters; '' when absent. */
export const contentType = (req: IncomingMessage): string =>
  parseMediaRanges(req.headers['content-type'])[0]?.type ?? '';

export interface Negotiated {
  readonly format: 'json' | 'yaml';
  readonly table?: TableRequest;
}

/** Picks the response form from Accept; `tables` says whether the endpoint can render Tables. */
export const negotiate = (
  req: IncomingMessage,
  query: URLSearchParams,
  tables: boolean,
): Negotiated => {
  const ranges = parseMediaRanges(req.headers.accept);
  if (ranges.length === 0) return { format: 'json' };
  for (const range of ranges) {
    const { type, params } = range;
    if (params.as !== undefined) {
      if (
        tables &&
        params.as === 'Table' &&
        params.g === 'meta.k8s.io' &&
        (params.v === 'v1' || params.v === 'v1beta1') &&
        (type === 'application/json' || type === 'application/yaml')
      ) {
        const include = query.get('includeObject') ?? 'Metadata';
        if (include !== 'None' && include !== 'Metadata' && include !== 'Object') {
          throw badRequest(
            `Invalid value: "${include}": includeObject must be one of None, Metadata, Object`,
          );
        }
        return {
          format: type === 'application/yaml' ? 'yaml' : 'json',
          table: { version: params.v, includeObject: include },
        };
      }
      continue;
    }
    if (type === 'application/json' || type === '*/*' || type === 'application/*') {
      return { format: 'json' };
    }
    if (type === 'application/yaml') return { format: 'yaml' };
  }
  throw new StatusError(
    'NotAcceptable',
    'only the following media types are accepted: application/json, application/yaml',
  );
};

export const send = (
  res: ServerResponse,
  code: number,
  body: unknown,
  format: Negotiated['format'] = 'json',
  headers: Record<string, string> = {},
): void => {
  const text = format === 'yaml' ? YAML.stringify(body) : `${JSON.stringify(body)}\n`;
  res.writeHead(code, {
    'Content-Type': format === 'yaml' ? 'application/yaml' : 'application/json',
    'Cache-Control': 'no-cache, private',
    ...headers,
  });
  res.end(text);
};

/** Reads the whole body; 413 (and the connection closed) past the limit, like the Go server. */
export const readBody = (req: IncomingMessage, limit = maxBodyBytes): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    const tooLarge = () =>
      new StatusError('RequestEntityTooLarge', `Request entity too large: limit is ${limit}`);
    if (declared > limit) {
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on('error', (error) => {
      if (!failed) reject(error);
    });
  });

/** Decodes a JSON, YAML or Kubernetes protobuf document (an empty Content-Type means JSON, as
 *  apimachinery defaults to the first serializer). */
export const decodeBody = (body: Buffer, type: string, accepted: readonly string[]): unknown => {
  if (type !== '' && !accepted.includes(type)) throw unsupportedMediaType(accepted);
  if (type === protobufMediaType) return decodeProtobuf(body);
  const text = body.toString('utf8');
  if (type === 'application/yaml' || type === 'application/apply-patch+yaml') {
    try {
      return YAML.parse(text) as unknown;
    } catch (error) {
      throw badRequest(`error converting YAML to JSON: ${(error as Error).message}`);
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw badRequest(`couldn't get version/kind; json parse error: ${(error as Error).message}`);
  }
};

/** Accepted media types for object bodies (create/update). */
export const objectMediaTypes = ['application/json', 'application/yaml'] as const;

/** The media types a body of this kind may come in: protobuf too where it can be decoded. */
export const bodyMediaTypes = (apiVersion: string, kind: string): readonly string[] =>
  protobufDecodes(apiVersion, kind) ? [...objectMediaTypes, protobufMediaType] : objectMediaTypes;
