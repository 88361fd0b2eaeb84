// Unit tests: the image URL policy refuses internal targets in every notation a URL parser or
// resolver accepts, and honours the configured allow and deny entries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createImageUrlPolicy,
  defaultImageUrlPolicy,
  invalidPolicyEntries,
  type ImageUrlPolicyConfig,
} from './image-url-policy.ts';

const policy = (config: Partial<ImageUrlPolicyConfig> = {}, apiServer?: string) =>
  createImageUrlPolicy({ ...defaultImageUrlPolicy, ...config }, apiServer);

const refused = (check: ReturnType<typeof policy>, url: string): string => {
  const verdict = check.check(url);
  assert.equal(verdict.allowed, false, `${url} must be refused`);
  return verdict.allowed ? '' : verdict.reason;
};

void test('loopback is refused in decimal, octal, hex, short, mapped and bracketed forms', () => {
  const p = policy();
  for (const url of [
    'http://127.0.0.1/x.iso',
    'http://127.1/x.iso',
    'http://2130706433/x.iso',
    'http://017700000001/x.iso',
    'http://0177.0.0.1/x.iso',
    'http://0x7f.0x0.0x0.0x1/x.iso',
    'http://0x7f000001/x.iso',
    'http://127.255.255.254:8080/x.iso',
    'http://[::1]/x.iso',
    'http://[0:0:0:0:0:0:0:1]/x.iso',
    'http://[::ffff:127.0.0.1]/x.iso',
    'http://[::ffff:7f00:1]/x.iso',
    'http://[0:0:0:0:0:ffff:7f00:0001]/x.iso',
    'http://[64:ff9b::127.0.0.1]/x.iso',
    'http://localhost/x.iso',
    'http://LOCALHOST./x.iso',
    'http://%6c%6f%63%61%6c%68%6f%73%74/x.iso',
    'http://img.localhost/x.iso',
  ])
    assert.equal(refused(p, url), 'a loopback address', url);
});

void test('link-local and the metadata services are refused however written', () => {
  const p = policy();
  for (const url of [
    'http://169.254.169.254/latest/meta-data/',
    'http://2852039166/latest/meta-data/',
    'http://0xa9fea9fe/latest/meta-data/',
    'http://0251.0376.0251.0376/',
    'http://169.254.43518/',
    'http://[::ffff:169.254.169.254]/',
    'http://[::ffff:a9fe:a9fe]/',
    'http://[fe80::1]/',
    'http://[FEBF::abcd]/',
    'http://[fd00:ec2::254]/',
    'http://metadata.google.internal/computeMetadata/v1/',
  ])
    assert.equal(refused(p, url), 'a link-local or metadata-service address', url);
});

void test('unspecified addresses are refused', () => {
  const p = policy();
  for (const url of ['http://0.0.0.0/', 'http://0/', 'http://[::]/', 'http://[::ffff:0.0.0.0]/'])
    assert.equal(refused(p, url), 'an unspecified address', url);
});

void test('the API server and cluster-internal names are refused', () => {
  const p = policy({}, 'https://10.96.0.1:443');
  for (const url of [
    'https://kubernetes.default/',
    'https://kubernetes.default.svc/api',
    'https://kubernetes.default.svc.cluster.local./api',
    'https://10.96.0.1/api',
    'https://[::ffff:10.96.0.1]/api',
    'https://174063617/api',
  ])
    assert.equal(refused(p, url), 'the Kubernetes API server', url);
  for (const url of [
    'http://images.lab.svc/x.iso',
    'http://minio.storage.svc.cluster.local:9000/x.iso',
    'http://kubernetes/x.iso',
    'http://my-service/x.iso',
  ])
    assert.equal(refused(p, url), 'a cluster-internal name', url);
  const named = policy({}, 'https://api.ocp.example.com:6443');
  assert.equal(refused(named, 'https://API.ocp.example.com:6443/'), 'the Kubernetes API server');
});

void test('ordinary image servers pass', () => {
  const p = policy({}, 'https://10.96.0.1:443');
  for (const url of [
    'http://images.example.com/boot.iso',
    'https://10.0.0.5:8443/boot.iso?X-Amz-Signature=abc',
    'http://192.168.1.10/boot.iso',
    'http://[2001:db8::5]/boot.iso',
    'http://10.96.0.2/boot.iso',
  ])
    assert.deepEqual(p.check(url), { allowed: true }, url);
});

void test('allow entries lift a built-in refusal; deny entries win over allow', () => {
  const p = policy({ allow: ['127.0.0.1', '::1', 'mirror.svc'], deny: ['10.0.0.0/8', '*.corp'] });
  assert.deepEqual(p.check('http://127.0.0.1:8080/x.iso'), { allowed: true });
  assert.deepEqual(p.check('http://0x7f000001:8080/x.iso'), { allowed: true });
  assert.deepEqual(p.check('http://[::ffff:127.0.0.1]/x.iso'), { allowed: true });
  assert.deepEqual(p.check('http://[::1]/x.iso'), { allowed: true });
  assert.deepEqual(p.check('http://mirror.svc/x.iso'), { allowed: true });
  assert.equal(refused(p, 'http://127.0.0.2/x.iso'), 'a loopback address');
  assert.equal(refused(p, 'http://other.svc/x.iso'), 'a cluster-internal name');
  assert.equal(refused(p, 'http://10.1.2.3/x.iso'), 'denied by image_url_policy.deny');
  assert.equal(refused(p, 'http://012.1.2.3/x.iso'), 'denied by image_url_policy.deny');
  assert.equal(refused(p, 'http://img.site.corp/x.iso'), 'denied by image_url_policy.deny');
  const both = policy({ allow: ['10.0.0.0/8'], deny: ['10.9.0.0/16'] });
  assert.deepEqual(both.check('http://10.8.0.1/x.iso'), { allowed: true });
  assert.equal(refused(both, 'http://10.9.0.1/x.iso'), 'denied by image_url_policy.deny');
});

void test('unmatched: deny admits only allowed hosts', () => {
  const p = policy({ allow: ['*.images.example', '192.0.2.0/24'], unmatched: 'deny' });
  assert.deepEqual(p.check('https://eu.images.example/x.iso'), { allowed: true });
  assert.deepEqual(p.check('https://192.0.2.7/x.iso'), { allowed: true });
  assert.equal(refused(p, 'https://images.example/x.iso'), 'not in image_url_policy.allow');
  assert.equal(refused(p, 'https://example.org/x.iso'), 'not in image_url_policy.allow');
});

void test('entries that are not IPs, CIDRs, names or *.domains are reported', () => {
  assert.deepEqual(invalidPolicyEntries(['10.0.0.0/8', '::1', '[fe80::]/10', 'a.b', '*.svc']), []);
  assert.equal(
    invalidPolicyEntries(['10.0.0.0/33', '10.0.0.0/x', 'not a host', '*.', 'http://x/', '1.2.3/8'])
      .length,
    6,
  );
});
