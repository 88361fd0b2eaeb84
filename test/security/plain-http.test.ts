// Issue 11 item 14: with TLS on, the listener also serves plain HTTP on the same port (for
// redfishtool's default mode), but credentials travel only over HTTPS (DSP0266): a plain-HTTP
// request that carries or needs them is refused, and the public documents stay readable.
import { strict as assert } from 'node:assert';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { startTlsService, type TlsService } from '../clients/tls-service.ts';
import { errorIds } from '../conformance/redfish-errors.ts';
import { validateRedfish } from '../helpers/redfish-schema.ts';
import { users, type Reply } from '../helpers/service.ts';

const basic = `Basic ${Buffer.from(`admin:${users.admin}`).toString('base64')}`;

void describe('plain HTTP beside TLS (issue 11 item 14)', () => {
  let service: TlsService;
  before(async () => {
    service = await startTlsService();
  });
  after(() => service.close());

  /** One request over `scheme` to the service's single port. */
  const send = (
    scheme: 'http' | 'https',
    path: string,
    options: { method?: string; headers?: Record<string, string>; body?: unknown } = {},
  ): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const body = options.body === undefined ? undefined : JSON.stringify(options.body);
      const request = (scheme === 'http' ? httpRequest : httpsRequest)(
        `${scheme}://${service.hostPort}${path}`,
        {
          method: options.method ?? 'GET',
          headers: {
            ...options.headers,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          rejectUnauthorized: false,
        },
        (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
          response.on('end', () => {
            const headers = new Headers();
            for (const [name, value] of Object.entries(response.headers))
              if (typeof value === 'string') headers.set(name, value);
            resolve({
              status: response.statusCode ?? 0,
              headers,
              text,
              body:
                text && headers.get('content-type')?.includes('json')
                  ? JSON.parse(text)
                  : undefined,
            });
          });
        },
      );
      request.on('error', reject);
      request.end(body);
    });

  const refusedInClear = (reply: Reply, what: string) => {
    assert.deepEqual(errorIds(reply, 403), ['GeneralError'], what);
    assert.match(reply.body.error['@Message.ExtendedInfo'][0].Resolution, /HTTPS/);
    assert.equal(reply.headers.get('www-authenticate'), null, 'no invitation to send a password');
  };

  void it('serves the public documents over plain HTTP', async () => {
    assert.deepEqual((await send('http', '/redfish')).body, { v1: '/redfish/v1/' });
    for (const path of ['/redfish/v1', '/redfish/v1/', '/redfish/v1/odata']) {
      const reply = await send('http', path);
      assert.equal(reply.status, 200, path);
      if (path !== '/redfish/v1/odata') validateRedfish(reply.body);
      else assert.ok(Array.isArray(reply.body.value), 'the OData service document');
    }
    const metadata = await send('http', '/redfish/v1/$metadata');
    assert.equal(metadata.status, 200);
    assert.match(metadata.text, /^<\?xml/);
    assert.equal((await send('http', '/redfish/v1/', { method: 'HEAD' })).status, 200);
    // Probes and metrics are not Redfish and carry no credentials.
    assert.equal((await send('http', '/healthz')).status, 200);
  });

  void it('refuses over plain HTTP every request that carries or needs credentials', async () => {
    const login = { UserName: 'admin', Password: users.admin };
    const cases: [string, string, Parameters<typeof send>[2]][] = [
      ['Basic on a protected URL', '/redfish/v1/Systems', { headers: { authorization: basic } }],
      ['Basic on the service root', '/redfish/v1/', { headers: { authorization: basic } }],
      ['a token', '/redfish/v1/Systems', { headers: { 'x-auth-token': 'a'.repeat(40) } }],
      ['no credentials on a protected URL', '/redfish/v1/Systems', {}],
      ['a login', '/redfish/v1/SessionService/Sessions', { method: 'POST', body: login }],
      [
        'a login to Members',
        '/redfish/v1/SessionService/Sessions/Members',
        { method: 'POST', body: login },
      ],
      ['a bad URL with Basic', '/redfish/v1/Systems/%zz', { headers: { authorization: basic } }],
      ['an unknown method on a protected URL', '/redfish/v1/Systems', { method: 'DELETE' }],
    ];
    const sessionsBefore = (
      await send('https', '/redfish/v1/SessionService/Sessions', {
        headers: { authorization: basic },
      })
    ).body.Members.length;
    for (const [what, path, options] of cases)
      refusedInClear(await send('http', path, options), what);
    // Nothing was logged in: the password was never checked.
    const sessionsAfter = (
      await send('https', '/redfish/v1/SessionService/Sessions', {
        headers: { authorization: basic },
      })
    ).body.Members.length;
    assert.equal(sessionsAfter, sessionsBefore);
  });

  void it('serves the same requests over HTTPS on the same port', async () => {
    const systems = await send('https', '/redfish/v1/Systems', {
      headers: { authorization: basic },
    });
    assert.equal(systems.status, 200);
    validateRedfish(systems.body);
    const login = await send('https', '/redfish/v1/SessionService/Sessions/Members', {
      method: 'POST',
      body: { UserName: 'admin', Password: users.admin },
    });
    assert.equal(login.status, 201);
    const token = login.headers.get('x-auth-token') ?? '';
    assert.equal(
      (await send('https', '/redfish/v1/Systems', { headers: { 'x-auth-token': token } })).status,
      200,
    );
    // The same token over plain HTTP is refused.
    refusedInClear(
      await send('http', '/redfish/v1/Systems', { headers: { 'x-auth-token': token } }),
      'token',
    );
    const anonymous = await send('https', '/redfish/v1/Systems');
    assert.deepEqual(errorIds(anonymous, 401), ['AccessUnauthorized']);
  });
});
