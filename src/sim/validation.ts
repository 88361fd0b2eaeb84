// What the API server and KubeVirt's admission webhooks check before an object is stored: name
// format, CRD structural schemas (Ajv), the VM validating webhook rules and the VM mutating
// webhook defaults (firmware UUID on create, the template's architecture on every write).
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { KubeObject, StatusCause } from './types.ts';
import { StatusError } from './types.ts';
import type { ServedType } from './resource-types.ts';
import { qualifiedKind } from './resource-types.ts';
import { pruneUnknownFields } from './pruning.ts';
// Imported as modules, not read beside the sources, so that the build carries them into dist/.
import baremetalhostSchema from './schemas/baremetalhost.schema.json' with { type: 'json' };
import datavolumeSchema from './schemas/datavolume.schema.json' with { type: 'json' };
import virtualmachineSchema from './schemas/virtualmachine.schema.json' with { type: 'json' };

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A field error, rendered as Kubernetes' field.Error: `<field>: <body>`. */
export interface FieldError {
  readonly type: string;
  readonly field: string;
  readonly body: string;
}

const goValue = (value: unknown): string =>
  typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? 'null');

/** 422 Invalid as apimachinery's errors.NewInvalid renders it. */
export const invalid = (
  type: ServedType,
  name: string,
  errors: readonly FieldError[],
): StatusError => {
  const rendered = errors.map((e) => `${e.field}: ${e.body}`);
  const detail =
    rendered.length === 0
      ? ''
      : rendered.length === 1
        ? `: ${rendered[0]}`
        : `: [${rendered.join(', ')}]`;
  return new StatusError('Invalid', `${qualifiedKind(type)} "${name}" is invalid${detail}`, {
    name,
    ...(type.group === '' ? {} : { group: type.group }),
    kind: type.kind,
    causes: errors.map((e) => ({ reason: e.type, message: e.body, field: e.field })),
  });
};

export const requiredError = (field: string, detail?: string): FieldError => ({
  type: 'FieldValueRequired',
  field,
  body: detail === undefined ? 'Required value' : `Required value: ${detail}`,
});

export const invalidValueError = (field: string, value: unknown, detail: string): FieldError => ({
  type: 'FieldValueInvalid',
  field,
  body: `Invalid value: ${goValue(value)}: ${detail}`,
});

export const notSupportedError = (
  field: string,
  value: unknown,
  supported: readonly string[],
): FieldError => ({
  type: 'FieldValueNotSupported',
  field,
  body: `Unsupported value: ${goValue(value)}: supported values: ${supported.map((v) => JSON.stringify(v)).join(', ')}`,
});

// apimachinery/pkg/util/validation: DNS-1123 subdomain (most names) and label (namespaces).
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const subdomainMessage =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const labelMessage =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

/** metadata.name rules of the generic registry; throws 422 Invalid. */
export const validateName = (type: ServedType, name: string): void => {
  const label = type.resource === 'namespaces';
  const max = label ? 63 : 253;
  const errors: FieldError[] = [];
  if (name.length > max) {
    errors.push(invalidValueError('metadata.name', name, `must be no more than ${max} characters`));
  }
  if (!(label ? dns1123Label : dns1123Subdomain).test(name)) {
    errors.push(invalidValueError('metadata.name', name, label ? labelMessage : subdomainMessage));
  }
  if (errors.length > 0) throw invalid(type, name, errors);
};

/** `/spec/disks/0/name` → `spec.disks[0].name`, walking the data to tell indices from keys. */
const fieldPath = (data: unknown, pointer: string, extra?: string): string => {
  let path = '';
  let node: unknown = data;
  const segments = pointer === '' ? [] : pointer.slice(1).split('/');
  if (extra !== undefined) segments.push(extra);
  for (const raw of segments) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      path += `[${segment}]`;
      node = node[Number(segment)];
    } else {
      path += path === '' ? segment : `.${segment}`;
      node = isRecord(node) ? node[segment] : undefined;
    }
  }
  return path;
};

const jsonType = (value: unknown): string =>
  value === null
    ? 'null'
    : Array.isArray(value)
      ? 'array'
      : typeof value === 'number'
        ? Number.isInteger(value)
          ? 'integer'
          : 'number'
        : typeof value;

const valueAt = (data: unknown, pointer: string): unknown => {
  let node = data;
  for (const raw of pointer === '' ? [] : pointer.slice(1).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    node = Array.isArray(node) ? node[Number(segment)] : isRecord(node) ? node[segment] : undefined;
  }
  return node;
};

/** Ajv errors → the field errors kube-apiserver's CRD validator reports. */
const schemaErrors = (data: unknown, errors: readonly ErrorObject[]): FieldError[] =>
  errors
    .filter((e) => e.keyword !== 'if' && e.keyword !== 'anyOf' && e.keyword !== 'oneOf')
    .map((e): FieldError => {
      const params = e.params as Record<string, unknown>;
      if (e.keyword === 'required') {
        return requiredError(fieldPath(data, e.instancePath, String(params.missingProperty)));
      }
      const field = fieldPath(data, e.instancePath);
      const value = valueAt(data, e.instancePath);
      if (e.keyword === 'type') {
        const actual = jsonType(value);
        return {
          type: 'FieldValueTypeInvalid',
          field,
          body: `Invalid value: "${actual}": ${field} in body must be of type ${String(params.type)}: "${actual}"`,
        };
      }
      if (e.keyword === 'enum') {
        const allowed = (params.allowedValues as unknown[]).map(goValue).join(', ');
        return {
          type: 'FieldValueNotSupported',
          field,
          body: `Unsupported value: ${goValue(value)}: supported values: ${allowed}`,
        };
      }
      // kube-openapi's validate errors, in its words (errors.PatternFail, TooLong, BelowMin).
      if (e.keyword === 'pattern')
        return invalidValueError(
          field,
          value,
          `${field} in body should match '${String(params.pattern)}'`,
        );
      if (e.keyword === 'maxLength')
        return {
          type: 'FieldValueTooLong',
          field,
          body: `Too long: may not be more than ${String(params.limit)} bytes`,
        };
      if (e.keyword === 'minimum')
        return invalidValueError(
          field,
          value,
          `${field} in body should be greater than or equal to ${String(params.limit)}`,
        );
      return invalidValueError(field, value, `${field} in body ${e.message ?? 'is invalid'}`);
    });

/** fieldValidation=Strict and a field the schema does not declare: the decoder's 400 (what
 *  kubectl apply, which asks for Strict, shows). */
export const strictDecodingError = (type: ServedType, fields: readonly string[]): StatusError =>
  new StatusError(
    'BadRequest',
    `${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}: strict decoding error: ${fields
      .map((f) => `unknown field "${f}"`)
      .join(', ')}`,
  );

/** Lazily compiled CRD schema validators. */
export interface SchemaValidator {
  /** Prunes the fields the schema does not declare, applies its defaults and validates
   *  `object` in place, as kube-apiserver treats a custom resource; throws 422 Invalid.
   *  Returns the paths of the pruned fields. */
  validate(type: ServedType, object: KubeObject): readonly string[];
}

// Compiled once per process, not per store: compiling the VM schema costs ~0.5 s, paid by every
// simulator a test suite starts. A compiled function holds no state between calls.
let ajv: Ajv | undefined;
const schemas: Record<NonNullable<ServedType['schema']>, object> = {
  baremetalhost: baremetalhostSchema,
  datavolume: datavolumeSchema,
  virtualmachine: virtualmachineSchema,
};
const compiled = new Map<string, ValidateFunction>();
const compile = (schema: NonNullable<ServedType['schema']>): ValidateFunction => {
  let fn = compiled.get(schema);
  if (!fn) {
    ajv ??= new Ajv({ strict: false, validateFormats: false, allErrors: true, useDefaults: true });
    fn = ajv.compile(schemas[schema]);
    compiled.set(schema, fn);
  }
  return fn;
};

export const createSchemaValidator = (): SchemaValidator => {
  return {
    validate(type, object) {
      if (!type.schema) return [];
      const pruned = pruneUnknownFields(schemas[type.schema], object);
      const fn = compile(type.schema);
      const valid: boolean = fn(object);
      if (!valid) {
        throw invalid(type, object.metadata.name ?? '', schemaErrors(object, fn.errors ?? []));
      }
      return pruned;
    },
  };
};

const runStrategies = ['Always', 'Halted', 'Manual', 'RerunOnFailure', 'Once', 'WaitAsReceiver'];

/** The rules of KubeVirt's virtualmachine-validator webhook the simulator reproduces
 *  (pkg/virt-api/webhooks/validating-webhook/admitters/vms-admitter.go). */
/** Cluster facts that change what the VM webhook admits. */
export interface VmAdmissionOptions {
  /** DeclarativeHotplugVolumes is on: a CD-ROM disk may have no volume (an empty drive). */
  readonly emptyCdrom: boolean;
  /** Feature gate RebootPolicy is on (v1.8 Alpha, v1.9 Beta). */
  readonly rebootPolicy: boolean;
}

const kubevirtVmCauses = (vm: KubeObject, admission: VmAdmissionOptions): StatusCause[] => {
  const causes: StatusCause[] = [];
  const spec = isRecord(vm.spec) ? vm.spec : {};
  const hasRunning = spec.running !== undefined && spec.running !== null;
  const hasStrategy = spec.runStrategy !== undefined && spec.runStrategy !== null;
  if (hasRunning && hasStrategy) {
    causes.push({
      reason: 'FieldValueInvalid',
      message:
        'Running and RunStrategy are mutually exclusive. Note that Running is deprecated, please use RunStrategy instead',
      field: 'spec.running',
    });
  } else if (!hasRunning && !hasStrategy) {
    causes.push({
      reason: 'FieldValueRequired',
      message: 'RunStrategy must be specified',
      field: 'spec.running',
    });
  }
  if (hasStrategy && !runStrategies.includes(String(spec.runStrategy))) {
    causes.push({
      reason: 'FieldValueInvalid',
      message: `Invalid RunStrategy (${String(spec.runStrategy)})`,
      field: 'spec.runStrategy',
    });
  }
  const template =
    isRecord(spec.template) && isRecord(spec.template.spec) ? spec.template.spec : {};
  const volumes = Array.isArray(template.volumes) ? template.volumes : [];
  const volumeNames = new Set(volumes.filter(isRecord).map((v) => v.name));
  const domain = isRecord(template.domain) ? template.domain : {};
  if (domain.rebootPolicy !== undefined && !admission.rebootPolicy) {
    // vmi-create-admitter.go validateRebootPolicy, run on the VM template.
    causes.push({
      reason: 'FieldValueInvalid',
      message: 'RebootPolicy is specified but the RebootPolicy feature gate is not enabled',
      field: 'spec.template.spec.domain.rebootPolicy',
    });
  }
  const devices = isRecord(domain.devices) ? domain.devices : {};
  const base = 'spec.template.spec.domain.devices';
  const bootOrders = new Set<number>();
  const checkBootOrder = (device: Json, field: string): void => {
    if (typeof device.bootOrder !== 'number') return;
    if (device.bootOrder < 1) {
      causes.push({
        reason: 'FieldValueInvalid',
        message: `${field} must have a boot order > 0, if supplied`,
        field,
      });
    } else if (bootOrders.has(device.bootOrder)) {
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Boot order for ${field} already set for a different device.`,
        field,
      });
    }
    bootOrders.add(device.bootOrder);
  };
  const disks = Array.isArray(devices.disks) ? devices.disks : [];
  disks.forEach((disk, index) => {
    if (!isRecord(disk)) return;
    if (!volumeNames.has(disk.name) && isRecord(disk.cdrom) && !admission.emptyCdrom) {
      causes.push({
        reason: 'FieldValueInvalid',
        message:
          'DeclarativeHotplugVolumes feature gate not enabled, cannot define an empty CD-ROM disk',
        field: `${base}.disks[${index}].name`,
      });
    } else if (!volumeNames.has(disk.name) && !isRecord(disk.cdrom)) {
      causes.push({
        reason: 'FieldValueInvalid',
        message: `${base}.disks[${index}].Name '${String(disk.name)}' not found.`,
        field: `${base}.disks[${index}].name`,
      });
    }
    checkBootOrder(disk, `${base}.disks[${index}].bootOrder`);
  });
  const interfaces = Array.isArray(devices.interfaces) ? devices.interfaces : [];
  interfaces.forEach((iface, index) => {
    if (isRecord(iface)) checkBootOrder(iface, `${base}.interfaces[${index}].bootOrder`);
  });
  return causes;
};

/** Runs KubeVirt's VM admission rules; throws the webhook's 422 denial. */
export const validateKubevirtVm = (vm: KubeObject, admission: VmAdmissionOptions): void => {
  const causes = kubevirtVmCauses(vm, admission);
  if (causes.length === 0) return;
  // apiserver's webhook error wrapping around KubeVirt's ToAdmissionResponse (causes joined).
  throw new StatusError(
    'Invalid',
    `admission webhook "virtualmachine-validator.kubevirt.io" denied the request: ${causes
      .map((c) => c.message)
      .join(', ')}`,
    { causes },
  );
};

const hexDigits = '0123456789abcdef';

/** A random (v4) UUID from an injected random source, so seeded runs repeat exactly. */
export const randomUuid = (random: () => number): string => {
  // 32 draws for the digits, then one for the variant: the order seeded runs depend on.
  const hex: string[] = [];
  for (let i = 0; i < 32; i++) hex.push(hexDigits[Math.floor(random() * 16)] ?? '0');
  hex[12] = '4';
  hex[16] = hexDigits[(Math.floor(random() * 4) & 0x3) | 0x8] ?? '8';
  for (const at of [20, 16, 12, 8]) hex.splice(at, 0, '-');
  return hex.join('');
};

/** The VM template's spec, when the object has one (the schema rejects a VM without it). */
const templateSpecOf = (vm: KubeObject): Json | undefined =>
  isRecord(vm.spec) && isRecord(vm.spec.template) && isRecord(vm.spec.template.spec)
    ? vm.spec.template.spec
    : undefined;

/** KubeVirt's VM mutating webhook (v1.6+): a new VM gets a random firmware UUID when it has none. */
export const defaultVmOnCreate = (vm: KubeObject, random: () => number): void => {
  const template = templateSpecOf(vm);
  if (!template) return;
  const domain = isRecord(template.domain) ? template.domain : (template.domain = {});
  const firmware = isRecord(domain.firmware) ? domain.firmware : (domain.firmware = {});
  if (typeof firmware.uuid !== 'string' || firmware.uuid === '') firmware.uuid = randomUuid(random);
};

/** KubeVirt's VM mutating webhook on create and update (v1.6–v1.9, pkg/defaults
 *  SetVirtualMachineDefaults → setDefaultArchitecture): an empty template architecture becomes
 *  the cluster's default (KubeVirt CR architectureConfiguration.defaultArchitecture, else the
 *  architecture virt-api was built for — amd64 on the clusters simulated). The label of a
 *  DataSource the VM's dataVolumeTemplates reference can name another one first; the simulator
 *  serves no DataSources, so that step never applies here. */
export const defaultVmArchitecture = (vm: KubeObject, architecture: string): void => {
  const template = templateSpecOf(vm);
  if (!template) return;
  // Only an absent or empty value: any other is the schema's to refuse, as the webhook's own
  // schema check would.
  if (template.architecture === undefined || template.architecture === '')
    template.architecture = architecture;
};
