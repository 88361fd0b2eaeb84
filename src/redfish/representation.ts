// The status, headers and bytes of a handler's answer, as both the Fastify path (server.ts) and
// the cached-read path (cached-reads.ts) send it. Memoised per body object: a handler that
// returns the very object it returned before (a resource memoised per backend snapshot, as
// systems.ts does) costs neither a JSON.stringify nor a digest again (issue 12).
import type { HandlerReply, RawDocument, RedfishBody } from './handler.ts';
import { bodyHeaders, commonHeaders } from './preamble.ts';

export interface Representation {
  readonly status: number;
  /** Every header the route sets (commonHeaders come from the server's onRequest hook). */
  readonly headers: Readonly<Record<string, string>>;
  /** Undefined when the answer has no body. */
  readonly content: string | undefined;
}

/** An answer as node:http writes it: the whole head as writeHead takes it, and the content as
 *  bytes (a string would be encoded again on every write). */
export interface Wire {
  readonly head: readonly string[];
  readonly content: Buffer;
}

interface Rendered {
  readonly content: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The wire form for one Allow value. */
  wire?: Wire & { readonly allow: string };
}

export interface Renderer {
  /** The answer as sent; `allow` is the Allow header GET and HEAD carry (DSP0266). */
  render(result: HandlerReply, isRead: boolean, allow: string): Representation;
  /** A 200 GET/HEAD answer without headers of its own, as one writeHead list (lower-case names
   *  in the order the Fastify path sends them: the common headers, the route's, then
   *  Content-Length), and its content; undefined for any other answer. */
  wire(result: HandlerReply, allow: string): Wire | undefined;
}

export const createRenderer = (etagOf: (json: string) => string): Renderer => {
  // Bodies are readonly values (handler.ts), so one object always renders the same bytes.
  const memo = new WeakMap<RedfishBody | RawDocument, Rendered>();
  const rendered = (result: HandlerReply): Rendered | undefined => {
    const source = result.raw ?? result.body;
    if (source === undefined) return undefined;
    const known = memo.get(source);
    if (known !== undefined) return known;
    let fresh: Rendered;
    if (result.raw !== undefined) {
      const content = result.raw.content;
      fresh = {
        content,
        headers: { 'Content-Type': result.raw.contentType, ETag: etagOf(content) },
      };
    } else {
      const body = source as RedfishBody;
      const content = JSON.stringify(body);
      fresh = { content, headers: bodyHeaders(body, content, etagOf) };
    }
    memo.set(source, fresh);
    return fresh;
  };

  return {
    render(result, isRead, allow) {
      const known = rendered(result);
      const headers: Record<string, string> = known ? { ...known.headers } : {};
      if (isRead) headers.Allow = allow;
      return {
        status: result.status,
        headers: result.headers ? { ...result.headers, ...headers } : headers,
        content: known?.content,
      };
    },
    wire(result, allow) {
      if (result.status !== 200 || result.headers !== undefined) return undefined;
      const known = rendered(result);
      if (known === undefined) return undefined;
      if (known.wire?.allow !== allow) {
        const content = known.wire?.content ?? Buffer.from(known.content);
        const head: string[] = [];
        const add = (name: string, value: string) => head.push(name.toLowerCase(), value);
        for (const [name, value] of Object.entries(commonHeaders)) add(name, value);
        for (const [name, value] of Object.entries(known.headers)) add(name, value);
        add('Allow', allow);
        add('Content-Length', String(content.length));
        known.wire = { allow, head, content };
      }
      return known.wire;
    },
  };
};
