// fieldValidation for the fields a custom resource's schema prunes (apiserver field validation,
// GA in v1.27): Strict refuses the write (the store throws), Warn — the default when the
// request names none — answers with one Warning per field, Ignore says nothing.
import type { WriteOptions } from '../types.ts';

export interface UnknownFields {
  /** The write options that carry the request's choice to the store. */
  readonly options: Pick<WriteOptions, 'fieldValidation' | 'onPruned'>;
  /** `headers` with the Warnings for the fields pruned added (RFC 7234 warn-code 299). */
  headers(headers: Record<string, string>): Record<string, string>;
}

export const unknownFields = (query: URLSearchParams): UnknownFields => {
  const requested = query.get('fieldValidation');
  const fieldValidation =
    requested === 'Strict' || requested === 'Ignore' ? requested : ('Warn' as const);
  const pruned: string[] = [];
  return {
    options: { fieldValidation, onPruned: (fields) => pruned.push(...fields) },
    headers(headers) {
      if (fieldValidation !== 'Warn' || pruned.length === 0) return headers;
      const warnings = pruned.map((f) => `299 - ${JSON.stringify(`unknown field "${f}"`)}`);
      const existing = headers.Warning;
      return {
        ...headers,
        Warning: [...(existing === undefined ? [] : [existing]), ...warnings].join(', '),
      };
    },
  };
};
