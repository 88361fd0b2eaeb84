// What the API server fills in on built-in objects before storing them (the v1 defaulting funcs,
// the Secret conversion and each registry's PrepareForCreate/Update) for the kinds an
// installation creates: Secret, Service, Deployment.
import type { KubeObject } from './types.ts';
import { record } from './type-definition.ts';

export interface DefaultingContext {
  /** Cluster IPs Services hold already (the allocator's bitmap). */
  readonly allocatedClusterIps: () => ReadonlySet<string>;
}

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const objectAt = (parent: Json, key: string): Json => {
  const value = parent[key];
  if (isRecord(value)) return value;
  const created: Json = {};
  parent[key] = created;
  return created;
};
const setDefault = (target: Json, key: string, value: unknown): void => {
  if (target[key] === undefined) target[key] = value;
};

/** core/v1 Convert_v1_Secret_To_core_Secret: stringData overlays data, base64-encoded. */
const secret = (object: KubeObject): void => {
  if (isRecord(object.stringData)) {
    const data = objectAt(object, 'data');
    for (const [key, value] of Object.entries(object.stringData)) {
      data[key] = Buffer.from(String(value), 'utf8').toString('base64');
    }
  }
  delete object.stringData;
  setDefault(object, 'type', 'Opaque');
};

// The default service CIDR (10.96.0.0/12); .1 is the kubernetes Service's.
const serviceCidrBase = (10 << 24) | (96 << 16);
const serviceCidrSize = 1 << 20;
const ipv4 = (n: number): string => [24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join('.');

const allocateClusterIp = (context: DefaultingContext): string => {
  const used = context.allocatedClusterIps();
  for (let offset = 2; offset < serviceCidrSize - 1; offset += 1) {
    const ip = ipv4(serviceCidrBase + offset);
    if (!used.has(ip)) return ip;
  }
  throw new Error('the service CIDR 10.96.0.0/12 is full');
};

const service = (object: KubeObject, existing: KubeObject | undefined, ctx: DefaultingContext) => {
  const spec = objectAt(object, 'spec');
  setDefault(spec, 'type', 'ClusterIP');
  setDefault(spec, 'sessionAffinity', 'None');
  if (Array.isArray(spec.ports)) {
    for (const port of spec.ports.filter(isRecord)) {
      setDefault(port, 'protocol', 'TCP');
      setDefault(port, 'targetPort', port.port);
    }
  }
  if (spec.type === 'ExternalName') return;
  // The allocated address is kept across updates that leave it out (patchAllocatedValues).
  const previous = record(existing?.spec);
  if (spec.clusterIP === undefined || spec.clusterIP === '') {
    spec.clusterIP =
      typeof previous.clusterIP === 'string' ? previous.clusterIP : allocateClusterIp(ctx);
  }
  setDefault(spec, 'clusterIPs', [spec.clusterIP]);
  setDefault(spec, 'ipFamilies', previous.ipFamilies ?? ['IPv4']);
  setDefault(spec, 'ipFamilyPolicy', previous.ipFamilyPolicy ?? 'SingleStack');
  setDefault(spec, 'internalTrafficPolicy', 'Cluster');
};

const container = (c: Json): void => {
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  const image = typeof c.image === 'string' ? c.image : '';
  const tagged = /:[^/]+$/.test(image.replace(/@.*$/, ''));
  setDefault(
    c,
    'imagePullPolicy',
    image.endsWith(':latest') || (!tagged && !image.includes('@')) ? 'Always' : 'IfNotPresent',
  );
  if (Array.isArray(c.ports)) {
    for (const port of c.ports.filter(isRecord)) setDefault(port, 'protocol', 'TCP');
  }
};

const deployment = (object: KubeObject): void => {
  const spec = objectAt(object, 'spec');
  setDefault(spec, 'replicas', 1);
  setDefault(spec, 'revisionHistoryLimit', 10);
  setDefault(spec, 'progressDeadlineSeconds', 600);
  const strategy = objectAt(spec, 'strategy');
  setDefault(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const rolling = objectAt(strategy, 'rollingUpdate');
    setDefault(rolling, 'maxUnavailable', '25%');
    setDefault(rolling, 'maxSurge', '25%');
  }
  const pod = objectAt(objectAt(spec, 'template'), 'spec');
  setDefault(pod, 'restartPolicy', 'Always');
  setDefault(pod, 'terminationGracePeriodSeconds', 30);
  setDefault(pod, 'dnsPolicy', 'ClusterFirst');
  setDefault(pod, 'schedulerName', 'default-scheduler');
  setDefault(pod, 'securityContext', {});
  for (const key of ['initContainers', 'containers']) {
    if (Array.isArray(pod[key])) for (const c of pod[key].filter(isRecord)) container(c);
  }
};

/** Fills in the defaults of `object` (a private copy) in place; `existing` on updates. */
export const applyBuiltinDefaults = (
  typeKey: string,
  object: KubeObject,
  existing: KubeObject | undefined,
  context: DefaultingContext,
): void => {
  switch (typeKey) {
    case 'secrets':
      secret(object);
      break;
    case 'services':
      service(object, existing, context);
      break;
    case 'deployments.apps':
      deployment(object);
      break;
  }
};
