// What a request asks, in the terms authorization speaks (apiserver's RequestInfoFactory): a
// resource request (verb, API group, namespace, resource, subresource, name) or a non-resource
// path and verb. Derived from the URL alone, before the route is known, as the real server does.

export type RequestAttributes =
  | {
      readonly resourceRequest: true;
      readonly verb: string;
      readonly apiGroup: string;
      readonly namespace: string;
      readonly resource: string;
      readonly subresource: string;
      readonly name: string;
    }
  | { readonly resourceRequest: false; readonly verb: string; readonly path: string };

// Path segments after /api/v1/namespaces/<ns>/ that are subresources of the namespace itself.
const namespaceSubresources = new Set(['status', 'finalize']);

const httpVerb = (method: string): string =>
  ({ POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' })[method] ?? 'get';

export const requestAttributes = (
  method: string,
  pathname: string,
  query: URLSearchParams,
): RequestAttributes => {
  const nonResource = (): RequestAttributes => ({
    resourceRequest: false,
    verb: httpVerb(method),
    path: pathname,
  });
  const segments = pathname.split('/').filter((s) => s !== '');
  let parts: string[];
  let apiGroup: string;
  if (segments[0] === 'api' && segments.length >= 3) {
    apiGroup = '';
    parts = segments.slice(2);
  } else if (segments[0] === 'apis' && segments.length >= 4) {
    apiGroup = segments[1] ?? '';
    parts = segments.slice(3);
  } else return nonResource();
  let namespace = '';
  if (parts[0] === 'namespaces' && parts.length > 1) {
    namespace = parts[1] ?? '';
    if (parts.length > 2 && !namespaceSubresources.has(parts[2] ?? '')) parts = parts.slice(2);
  }
  const [resource = '', name = '', subresource = ''] = parts;
  let verb = httpVerb(method);
  if (method === 'GET' || method === 'HEAD') {
    const watch = query.get('watch');
    if (name === '') verb = watch === 'true' || watch === '1' ? 'watch' : 'list';
  }
  if (method === 'DELETE' && name === '') verb = 'deletecollection';
  // A list or watch narrowed to one name by field selector is authorised for that name.
  let listedName = '';
  if (verb === 'list' || verb === 'watch') {
    const m = /^metadata\.name==?([^,]+)$/.exec(query.get('fieldSelector') ?? '');
    listedName = m?.[1] ?? '';
  }
  return {
    resourceRequest: true,
    verb,
    apiGroup,
    namespace,
    resource,
    subresource,
    name: name || listedName,
  };
};
