// DMTF redfishtool 1.1.5 (Debian) against the service with TLS (a self-signed certificate made
// here): versions, service root, Systems list/get, reset, setBootOverride, raw GET/PATCH/POST of
// VirtualMedia and session login, once with -S Always (everything over HTTPS) and once in its
// default mode (the unauthenticated root over http, the rest over https, on the same host:port).
// Each mode is its own test file, so the two run in parallel.
import assert from 'node:assert/strict';
import { get as httpsGet } from 'node:https';
import { after, before, describe, it } from 'node:test';
import type { Simulator } from '../../src/sim/simulator.ts';
import { createVm } from '../../src/sim/scenarios.ts';
import { users } from '../helpers/service.ts';
import { ClusterView, firstBoot, mediaDisk } from './cluster-view.ts';
import { startImageServer, type ImageServer } from './image-server.ts';
import { expectOutput, gateClient, run, succeeded, type RunResult } from './programs.ts';
import { startTlsService, type TlsService } from './tls-service.ts';

const namespace = 'demo-a';

/** One request as redfishtool's -ssss status output shows it. */
interface Traced {
  readonly method: string;
  readonly url: URL;
  readonly headers: string;
}

const traced = (result: RunResult): Traced[] =>
  [...result.stdout.matchAll(/^#REQUEST:\s+(\w+)\s+(\S+)\s*\n#__Request\.Headers:\s+(.*)$/gm)].map(
    (m) => ({ method: m[1] ?? '', url: new URL(m[2] ?? ''), headers: m[3] ?? '' }),
  );

/** The JSON document redfishtool printed after its '#' status lines. */
const document = (result: RunResult): Record<string, any> => {
  const body = result.stdout
    .split('\n')
    .filter((line) => !line.startsWith('#'))
    .join('\n');
  try {
    return JSON.parse(body) as Record<string, any>;
  } catch {
    return assert.fail(`redfishtool printed no JSON document:\n${result.stdout}\n${result.stderr}`);
  }
};

export const redfishtoolModes = {
  always: {
    label: '-S Always (HTTPS only)',
    options: ['-S', 'Always'],
    vm: 'rft-always',
    /** The scheme each request must use. */
    scheme: (_request: Traced) => 'https:',
  },
  default: {
    label: 'default mode (root over http, the rest over https on one port)',
    options: [],
    vm: 'rft-default',
    scheme: (request: Traced) =>
      request.method === 'GET' && /^\/redfish(\/v1\/?)?$/.test(request.url.pathname)
        ? 'http:'
        : 'https:',
  },
} as const;

/** Registers the suite for one of redfishtool's HTTPS policies. */
export const defineRedfishtoolSuite = async (key: keyof typeof redfishtoolModes) => {
  const gate = await gateClient('redfishtool');
  const mode = redfishtoolModes[key];
  const systemId = `${namespace}.${mode.vm}`;
  const slot = `/redfish/v1/Systems/${systemId}/VirtualMedia/Cd`;

  describe(
    `redfishtool 1.1.5, ${mode.label}, against the service with TLS`,
    { skip: gate.skip },
    () => {
      let service: TlsService;
      let images: ImageServer;
      let cluster: ClusterView;
      let command: string;

      before(async () => {
        command = gate.require();
        images = await startImageServer();
        service = await startTlsService();
        assert.ok(service.service.simulator);
        const sim: Simulator = service.service.simulator;
        createVm(sim.store, {
          namespace,
          name: mode.vm,
          runStrategy: 'Halted',
          rootDisk: { kind: 'pvc', size: '20Gi' },
        });
        cluster = new ClusterView(sim, namespace, mode.vm);
        // Over HTTPS (credentials never go over plain HTTP), without checking the self-signed
        // certificate: the test itself does not trust it.
        const basic = `Basic ${Buffer.from(`admin:${users.admin}`).toString('base64')}`;
        const status = () =>
          new Promise<number>((resolve, reject) =>
            httpsGet(
              `https://${service.hostPort}/redfish/v1/Systems/${systemId}`,
              { headers: { authorization: basic }, rejectUnauthorized: false },
              (response) => resolve(response.resume().statusCode ?? 0),
            ).on('error', reject),
          );
        await service.waitFor(async () => (await status()) === 200, 20_000);
      });

      after(async () => {
        await service?.close();
        await images?.close();
      });

      /** redfishtool with this mode's options, status output on, as admin unless told. */
      const tool = (
        args: readonly string[],
        credentials: readonly string[] = ['-u', 'admin', '-p', users.admin],
      ) =>
        run(
          command,
          ['-r', service.hostPort, ...credentials, ...mode.options, '-ssss', '-T', '20', ...args],
          {
            secrets: [users.admin],
          },
        );

      /** Every request went over the scheme this mode prescribes, and the command succeeded. */
      const ok = (result: RunResult): RunResult => {
        succeeded(result);
        const requests = traced(result);
        expectOutput(result, () => requests.length > 0, 'redfishtool traced its requests');
        for (const request of requests)
          expectOutput(
            result,
            () => request.url.protocol === mode.scheme(request),
            `${request.method} ${request.url.pathname} went over ${request.url.protocol}, wanted ${mode.scheme(request)}`,
          );
        return result;
      };

      it('versions reads /redfish', async () => {
        const result = ok(await tool(['versions']));
        assert.deepEqual(document(result), { v1: '/redfish/v1/' });
      });

      it('root reads the service root', async () => {
        const root = document(ok(await tool(['root'])));
        assert.equal(root.Vendor, 'KubeVirt');
        assert.equal(typeof root.RedfishVersion, 'string');
        assert.equal(root.Systems['@odata.id'], '/redfish/v1/Systems');
      });

      it('Systems list and get find the VM', async () => {
        const list = document(ok(await tool(['Systems', 'list'])));
        assert.ok(
          (list.Members as { Id: string }[]).some((m) => m.Id === systemId),
          JSON.stringify(list.Members),
        );
        const system = document(ok(await tool(['Systems', '-I', systemId, 'get'])));
        assert.equal(system.Id, systemId);
        assert.equal(system.PowerState, 'Off');
      });

      it('Systems reset On starts the VM, ForceOff stops it; PowerCycle is refused locally', async () => {
        ok(await tool(['Systems', '-I', systemId, 'reset', 'On']));
        await cluster.until(
          () => cluster.vmi()?.phase,
          (phase) => phase === 'Running',
          'the VMI to run',
        );
        assert.equal(cluster.vm().runStrategy, 'Manual');
        const refused = await tool(['Systems', '-I', systemId, 'reset', 'PowerCycle']);
        expectOutput(
          refused,
          (r) => r.code !== 0 && /not supported by the remote service/.test(r.stderr),
          'redfishtool refuses a ResetType outside AllowableValues',
        );
        expectOutput(
          refused,
          (r) => !traced(r).some((t) => t.method === 'POST'),
          'and sends no POST',
        );
        ok(await tool(['Systems', '-I', systemId, 'reset', 'ForceOff']));
        await cluster.until(
          () => cluster.vmi(),
          (vmi) => vmi === undefined,
          'the VMI to go',
        );
      });

      it('setBootOverride PATCHes with If-Match; the CD-ROM, then the disk, boots first', async () => {
        const once = ok(await tool(['Systems', '-I', systemId, 'setBootOverride', 'Once', 'Cd']));
        const patch = traced(once).find((t) => t.method === 'PATCH');
        expectOutput(
          once,
          () => /'if-match': '"\w+"'/.test(patch?.headers ?? ''),
          'the PATCH carries a strong If-Match',
        );
        assert.equal(
          firstBoot(cluster.vm().bootOrder),
          mediaDisk,
          JSON.stringify(cluster.vm().bootOrder),
        );
        const system = document(ok(await tool(['Systems', '-I', systemId, 'get'])));
        assert.equal(system.Boot.BootSourceOverrideTarget, 'Cd');
        assert.equal(system.Boot.BootSourceOverrideEnabled, 'Once');
        ok(await tool(['Systems', '-I', systemId, 'setBootOverride', 'Continuous', 'Hdd']));
        assert.equal(
          firstBoot(cluster.vm().bootOrder),
          'rootdisk',
          JSON.stringify(cluster.vm().bootOrder),
        );
      });

      it('raw GET, POST InsertMedia (following the task), PATCH refused, POST EjectMedia', async () => {
        const empty = document(ok(await tool(['raw', 'GET', slot])));
        assert.equal(empty.Inserted, false);
        assert.deepEqual(empty.MediaTypes, ['CD', 'DVD']);

        const inserted = ok(
          await tool([
            'raw',
            'POST',
            `${slot}/Actions/VirtualMedia.InsertMedia`,
            '-d',
            JSON.stringify({ Image: images.imageUrl }),
          ]),
        );
        // redfishtool waits on the task monitor and prints the finished Task.
        const task = document(inserted);
        assert.equal(task.TaskState, 'Completed', JSON.stringify(task));
        const [dv] = cluster.mediaDataVolumes();
        assert.equal(
          (dv?.spec as { source?: { http?: { url?: string } } } | undefined)?.source?.http?.url,
          images.imageUrl,
        );
        assert.equal((dv?.status as { phase?: string } | undefined)?.phase, 'Succeeded');
        assert.equal(cluster.vm().mediaVolume, dv?.metadata.name);
        const full = document(ok(await tool(['raw', 'GET', slot])));
        assert.equal(full.Inserted, true);
        assert.equal(full.Image, images.imageUrl);

        // The slot changes only through its actions: PATCH is not among its Allow methods.
        const patch = await tool([
          'raw',
          'PATCH',
          slot,
          '-d',
          JSON.stringify({ Image: null, Inserted: false }),
        ]);
        expectOutput(
          patch,
          (r) => r.code !== 0 && /405/.test(r.stderr + r.stdout),
          'PATCH answers 405',
        );
        assert.equal(cluster.mediaDataVolumes().length, 1, 'the refused PATCH changed nothing');

        ok(await tool(['raw', 'POST', `${slot}/Actions/VirtualMedia.EjectMedia`, '-d', '{}']));
        await cluster.until(
          () => cluster.mediaDataVolumes(),
          (dvs) => dvs.length === 0,
          'the DataVolume to be deleted',
        );
        assert.equal(cluster.vm().mediaVolume, undefined);
      });

      it('SessionService login gives a token that works, and logout ends it', async () => {
        const login = ok(await tool(['SessionService', 'login']));
        const session = document(login);
        const token = String(session['X-Auth-Token'] ?? '');
        const location = String(session.SessionLocation ?? '');
        assert.ok(token && location, JSON.stringify(session));
        const withToken = ok(
          await tool(['Systems', '-I', systemId, 'get'], ['-A', 'Session', '-t', token]),
        );
        assert.equal(document(withToken).Id, systemId);
        expectOutput(
          withToken,
          (r) =>
            !/Authorization/.test(
              traced(r)
                .map((t) => t.headers)
                .join('\n'),
            ),
          'no Basic credentials sent',
        );
        ok(
          await tool(['SessionService', 'logout', '-l', location], ['-A', 'Session', '-t', token]),
        );
        const ended = await tool(
          ['Systems', '-I', systemId, 'get'],
          ['-A', 'Session', '-t', token],
        );
        expectOutput(
          ended,
          (r) => r.code !== 0 && /401/.test(r.stderr + r.stdout),
          'the ended session is refused',
        );
      });

      it('-A Session logs in for one command, uses the token and deletes the session', async () => {
        const result = ok(await tool(['-A', 'Session', 'Systems', '-I', systemId, 'get']));
        assert.equal(document(result).Id, systemId);
        const requests = traced(result);
        const login = requests.findIndex((t) => t.method === 'POST');
        expectOutput(result, () => login >= 0, 'a session login');
        const later = requests.slice(login + 1);
        expectOutput(
          result,
          () =>
            later.length > 0 &&
            later.every(
              (t) => /x-auth-token/i.test(t.headers) && !/'Authorization'/.test(t.headers),
            ),
          'every later request uses the token',
        );
        expectOutput(
          result,
          () => later.at(-1)?.method === 'DELETE',
          'the session is deleted at exit',
        );
      });
    },
  );
};
