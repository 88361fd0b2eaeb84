// The query options every write carries (CreateOptions, UpdateOptions, PatchOptions,
// DeleteOptions): dryRun and fieldValidation, validated as apimachinery's
// ValidateCreateOptions & co. do, with the same 422 Invalid wording.
import { StatusError } from '../types.ts';
import type { StatusCause } from '../types.ts';

export type WriteVerb = 'Create' | 'Update' | 'Patch' | 'Delete';

export interface RequestWriteOptions {
  /** dryRun=All: admitted and answered as if persisted, but nothing is stored. */
  readonly dryRun: boolean;
}

// Go's %#v of a []string, as field.NotSupported renders a slice value.
const goStrings = (values: readonly string[]): string =>
  `[]string{${values.map((v) => JSON.stringify(v)).join(', ')}}`;

const fieldValidationValues = ['', 'Ignore', 'Strict', 'Warn'];

/** Reads and validates the write options of a request; throws the API server's 422. A DELETE
 *  with a body takes its options from the body (DeleteOptions), not the query: `bodyDryRun`.
 *  A PATCH says whether it is a server-side apply: `apply` (ValidatePatchOptions). */
export const writeOptions = (
  verb: WriteVerb,
  query: URLSearchParams,
  { bodyDryRun, apply }: { bodyDryRun?: readonly string[] | undefined; apply?: boolean } = {},
): RequestWriteOptions => {
  const causes: StatusCause[] = [];
  if (verb === 'Patch' && !apply && query.has('force')) {
    causes.push({
      reason: 'FieldValueForbidden',
      message: 'Forbidden: may not be specified for non-apply patch',
      field: 'force',
    });
  }
  if (verb === 'Patch' && apply && !query.get('fieldManager')) {
    causes.push({
      reason: 'FieldValueRequired',
      message: 'Required value: is required for apply patch',
      field: 'fieldManager',
    });
  }
  const dryRun = bodyDryRun ?? query.getAll('dryRun');
  if (dryRun.some((v) => v !== 'All')) {
    causes.push({
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: ${goStrings(dryRun)}: supported values: "All"`,
      field: 'dryRun',
    });
  }
  // DeleteOptions has no fieldValidation; the other three validate it.
  const validation = query.get('fieldValidation');
  if (verb !== 'Delete' && validation !== null && !fieldValidationValues.includes(validation)) {
    causes.push({
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: ${JSON.stringify(validation)}: supported values: ${fieldValidationValues.map((v) => JSON.stringify(v)).join(', ')}`,
      field: 'fieldValidation',
    });
  }
  if (causes.length > 0) {
    const rendered = causes.map((c) => `${c.field ?? ''}: ${c.message ?? ''}`);
    throw new StatusError(
      'Invalid',
      `${verb}Options.meta.k8s.io "" is invalid: ${rendered.length === 1 ? rendered[0] : `[${rendered.join(', ')}]`}`,
      { group: 'meta.k8s.io', kind: `${verb}Options`, causes },
    );
  }
  return { dryRun: dryRun.length > 0 };
};
