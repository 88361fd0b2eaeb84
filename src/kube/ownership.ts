// How the service marks the Kubernetes objects it creates (session Secrets, the settings
// ConfigMap, media DataVolumes and Secrets), so informers and clean-up select exactly those.

export const managedByLabel = 'app.kubernetes.io/managed-by';
export const managedByValue = 'kubevirt-redfish';
const kindLabel = 'kubevirt-redfish.io/kind';

/** The labels of a service-owned object of one kind (e.g. 'session', 'settings'). */
export const ownedLabels = (kind: string): Readonly<Record<string, string>> => ({
  [managedByLabel]: managedByValue,
  [kindLabel]: kind,
});

/** An equality label selector (`k=v,k=v`) matching every one of `labels`. */
export const labelSelector = (labels: Readonly<Record<string, string>>): string =>
  Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
