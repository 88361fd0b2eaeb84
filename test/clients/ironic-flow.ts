// The Ironic suite: Debian's sushy, scripted by sushy/ironic.py as Ironic's redfish drivers call it
// (clients-and-peers.md §4.4), against the whole service on the simulator. Each step is checked on
// the client side (what sushy sent and read) and in the cluster (store and kubectl): runStrategy,
// VMI, bootOrder of the CD-ROM against the disk, the virtual-media DataVolume. On a release
// profile (the version matrix) the checks follow what that profile can do: without rebootPolicy
// the guest's own reboot boots the CD again and Ironic's power cycle boots the disk; without CDI
// InsertMedia fails with a Redfish error naming CDI while power and boot work.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ClusterOverrides } from '../../src/sim/cluster-config.ts';
import type { Simulator } from '../../src/sim/simulator.ts';
import { createVm } from '../../src/sim/scenarios.ts';
import { startService, users, type TestService } from '../helpers/service.ts';
import { ClusterView, Kubectl, firstBoot, mediaDisk, vmUidSelector } from './cluster-view.ts';
import { startImageServer, type ImageServer } from './image-server.ts';
import { defineInspection } from './ironic-inspection.ts';
import { gateClient, type ClientGate } from './programs.ts';
import { IronicProcess, type Exchange, type StepReply } from './sushy-driver.ts';

const namespace = 'demo-a';
const rootDisk = 'rootdisk';
const sessionsPath = /^\/redfish\/v1\/SessionService\/Sessions\/?$/;

const requests = (reply: StepReply, method: string, path: RegExp): Exchange[] =>
  reply.exchanges.filter((x) => x.method === method && path.test(x.path));

const isSuccess = (status: number): boolean => status >= 200 && status < 300;

/** Probed once per process: the version matrix defines the suite once per profile. */
let gates: Promise<[ClientGate, ClientGate]> | undefined;

/** How the deploy went: booted the disk after the installer's reboot (works), only after
 *  Ironic's power cycle (documented), or refused at InsertMedia (error). */
export type DeployOutcome = 'works' | 'documented' | 'error';

/** A release profile of the simulated cluster, and where to report the deploy's outcome. */
export interface IronicProfile {
  readonly name: string;
  readonly cluster: ClusterOverrides;
  readonly onOutcome: (outcome: DeployOutcome) => void;
}

/**
 * Registers the suite for one sushy auth mode. `via` is where media is inserted: the System's
 * VirtualMedia (Ironic 24.1+) or the Manager's (older Ironic, sushy 4.3.3). Without `profile`
 * the cluster is the simulator's default (KubeVirt v1.9, CDI). Answers why the suite is skipped
 * (sushy or kubectl missing outside CI), or false.
 */
export const defineIronicSuite = async (
  auth: 'session' | 'basic',
  via: 'system' | 'manager',
  profile?: IronicProfile,
) => {
  gates ??= Promise.all([gateClient('sushy'), gateClient('kubectl')]);
  const [sushy, kubectlGate] = await gates;
  const skip = sushy.skip || kubectlGate.skip;
  const name = `ironic-${auth}`;
  const systemPath = `/redfish/v1/Systems/${namespace}.${name}`;
  let refusedInsert = false;
  let guestReboot: DeployOutcome | undefined;

  describe(
    `Ironic flows through sushy 4.3.3 (${auth} auth, media via ${via}${profile ? `, profile ${profile.name}` : ''})`,
    { skip },
    () => {
      let service: TestService;
      let sim: Simulator;
      let images: ImageServer;
      let ironic: IronicProcess;
      let cluster: ClusterView;
      let kubectl: Kubectl;
      let dir: string;
      let cdBootVmiUid = '';

      before(async () => {
        const python = sushy.require();
        const kubectlCommand = kubectlGate.require();
        dir = await mkdtemp(join(tmpdir(), 'kvrf-ironic-'));
        images = await startImageServer();
        service = await startService(profile ? { simulator: { cluster: profile.cluster } } : {});
        assert.ok(service.service.simulator, 'the service runs on the simulator');
        sim = service.service.simulator;
        // A running Legacy-BIOS node: Ironic must switch it to UEFI and power it off first.
        createVm(sim.store, {
          namespace,
          name,
          runStrategy: 'Always',
          firmware: 'bios',
          rootDisk: { kind: 'pvc', size: '20Gi' },
        });
        cluster = new ClusterView(sim, namespace, name);
        await service.waitFor(async () => {
          const reply = await service.request(systemPath, { user: 'admin' });
          return reply.status === 200 && reply.body?.PowerState === 'On';
        }, 20_000);
        const kubeconfig = join(dir, 'kubeconfig');
        await sim.writeKubeconfig(kubeconfig);
        kubectl = new Kubectl(kubectlCommand, kubeconfig);
        ironic = new IronicProcess({
          python,
          url: service.url,
          auth,
          systemPath,
          username: 'admin',
          password: users.admin,
        });
      });

      after(async () => {
        if (guestReboot !== undefined) profile?.onOutcome(refusedInsert ? 'error' : guestReboot);
        await ironic?.close();
        await service?.close();
        await images?.close();
        if (dir) await rm(dir, { recursive: true, force: true });
      });

      it('registration: service root without credentials, login, the System by its path', async () => {
        const reply = await ironic.step('register');
        const [first] = reply.exchanges;
        ironic.expect(
          reply,
          first?.method === 'GET' && /^\/redfish\/v1\/?$/.test(first.path),
          'sushy reads the root first',
        );
        ironic.expect(
          reply,
          first?.auth === 'none' && first.status === 200,
          'the root answers without credentials',
        );
        const { root, session, system, managers } = reply.result;
        assert.equal(root.vendor, 'KubeVirt');
        assert.equal(typeof root.id, 'string');
        const logins = requests(reply, 'POST', sessionsPath);
        if (auth === 'session') {
          ironic.expect(reply, logins.length === 1, 'one session login');
          const login = logins[0]!;
          ironic.expect(
            reply,
            login.status === 201 && login.xAuthToken,
            'login answers 201 with X-Auth-Token',
          );
          ironic.expect(reply, typeof login.location === 'string', 'login answers with a Location');
          assert.equal(session.uri, login.location);
          assert.equal(session.token, true);
          const afterLogin = reply.exchanges.slice(reply.exchanges.indexOf(login) + 1);
          ironic.expect(
            reply,
            afterLogin.length > 0 && afterLogin.every((x) => x.auth === 'token'),
            'later requests use the token',
          );
        } else {
          assert.equal(logins.length, 0, 'Basic auth never logs in');
          ironic.expect(
            reply,
            reply.exchanges.slice(1).every((x) => x.auth === 'basic'),
            'later requests use Basic',
          );
        }
        assert.equal(system.id, `${namespace}.${name}`);
        assert.equal(system.powerState, 'On');
        assert.equal(system.ironicPower, 'power on');
        assert.equal(system.manufacturer, 'KubeVirt');
        assert.equal(system.boot.mode, 'Legacy');
        for (const type of [
          'On',
          'ForceOff',
          'ForceRestart',
          'GracefulShutdown',
          'GracefulRestart',
        ])
          assert.ok(
            system.resetTypes.includes(type),
            `ResetType ${type} allowed: ${system.resetTypes}`,
          );
        assert.equal(managers.length, 1);
        assert.equal(managers[0].type, 'BMC');
      });

      it('power-state sync maps the running VM to "power on"', async () => {
        const reply = await ironic.step('power_sync', { polls: 3 });
        assert.deepEqual(reply.result.states, ['power on', 'power on', 'power on']);
        assert.equal(cluster.vmi()?.phase, 'Running');
      });

      it('deploy: ForceOff, then polling until Off; the VMI is gone and Off stays off', async () => {
        const reply = await ironic.step('power_off');
        const resets = requests(reply, 'POST', /ComputerSystem\.Reset$/);
        ironic.expect(
          reply,
          resets.length === 1 && isSuccess(resets[0]!.status),
          'one Reset accepted',
        );
        assert.deepEqual(resets[0]!.body, { ResetType: 'ForceOff' });
        assert.equal(reply.result.final, 'Off');
        await cluster.until(
          () => cluster.vmi(),
          (vmi) => vmi === undefined,
          'the VMI to go',
        );
        const strategy = cluster.vm().runStrategy;
        assert.ok(
          strategy === 'Halted' || strategy === 'Manual',
          `runStrategy ${strategy} keeps it off`,
        );
        assert.equal(
          await kubectl.jsonpath('vm', namespace, name, '{.spec.runStrategy}'),
          strategy,
        );
      });

      it('deploy: the Cd slot is found through the System link and through the Manager', async () => {
        const reply = await ironic.step('find_media');
        for (const where of ['system', 'manager']) {
          const slots = reply.result[where] as {
            id: string;
            name: string;
            mediaTypes: string[];
            inserted: boolean;
          }[];
          ironic.expect(
            reply,
            Array.isArray(slots) && slots.length === 1,
            `one slot via the ${where}`,
          );
          assert.equal(slots[0]!.id, 'Cd');
          assert.ok(slots[0]!.mediaTypes.includes('CD'));
          assert.equal(slots[0]!.inserted, false);
        }
      });

      it('deploy: eject before insert sends nothing for an empty slot', async () => {
        const reply = await ironic.step('eject');
        assert.deepEqual(reply.result.ejected, []);
        assert.equal(requests(reply, 'POST', /EjectMedia$/).length, 0);
      });

      it(`deploy: insert (only Image, via the ${via}); CDI imports the ISO from the loopback server`, async () => {
        if (!sim.cluster.cdi) {
          // Ironic stops the deploy here: the error must say why.
          const refused = await ironic.send('insert', { via, image: images.imageUrl });
          const [insert] = requests(refused, 'POST', /VirtualMedia\.InsertMedia$/);
          ironic.expect(refused, !refused.ok && insert?.status === 400, 'InsertMedia refused');
          assert.match(
            insert?.responseBody ?? '',
            /CDI \(containerized-data-importer\)[^"]* is not installed/,
          );
          refusedInsert = true;
          return;
        }
        const reply = await ironic.step('insert', { via, image: images.imageUrl });
        const inserts = requests(reply, 'POST', /VirtualMedia\.InsertMedia$/);
        ironic.expect(reply, inserts.length === 1, 'one InsertMedia');
        const insert = inserts[0]!;
        assert.ok(
          insert.path.startsWith(via === 'system' ? systemPath : '/redfish/v1/Managers/'),
          insert.path,
        );
        assert.deepEqual(insert.body, { Image: images.imageUrl });
        ironic.expect(
          reply,
          insert.status === 202 || insert.status === 204,
          'InsertMedia accepted',
        );
        const dataVolumes = await cluster.until(
          () => cluster.mediaDataVolumes(),
          (dvs) => dvs.length === 1,
          'one media DataVolume',
        );
        const dv = dataVolumes[0]!;
        const dvName = dv.metadata.name ?? '';
        assert.equal(
          (dv.spec as { source?: { http?: { url?: string } } }).source?.http?.url,
          images.imageUrl,
        );
        await cluster.until(
          () => cluster.mediaDataVolumes()[0]?.status as { phase?: string } | undefined,
          (status) => status?.phase === 'Succeeded',
          'the import to succeed',
        );
        assert.ok(
          images.requests.some(
            (r) =>
              r.path === new URL(images.imageUrl).pathname && r.userAgent === 'cdi-golang-importer',
          ),
          `the importer fetched the image: ${JSON.stringify(images.requests)}`,
        );
        assert.equal(cluster.vm().mediaVolume, dvName, 'the CD-ROM reads that DataVolume');
        // What an operator sees.
        assert.deepEqual(
          await kubectl.names('datavolumes', namespace, vmUidSelector(cluster.vm().uid ?? '')),
          [dvName],
        );
        assert.equal(
          await kubectl.jsonpath('datavolume', namespace, dvName, '{.spec.source.http.url}'),
          images.imageUrl,
        );
        assert.equal(
          await kubectl.jsonpath('datavolume', namespace, dvName, '{.status.phase}'),
          'Succeeded',
        );
        const state = await ironic.step('state');
        const slot = state.result.media[via][0];
        assert.equal(slot.inserted, true);
        assert.equal(slot.image, images.imageUrl);
      });

      it('deploy: boot mode sync PATCHes only the mode, with If-Match, and UEFI reads back at once', async () => {
        const reply = await ironic.step('sync_boot_mode', { mode: 'UEFI' });
        assert.deepEqual(reply.result, { before: 'Legacy', after: 'UEFI' });
        const patches = requests(reply, 'PATCH', new RegExp(`^${systemPath}$`));
        ironic.expect(
          reply,
          patches.length === 1 && isSuccess(patches[0]!.status),
          'one PATCH accepted',
        );
        assert.deepEqual(patches[0]!.body, { Boot: { BootSourceOverrideMode: 'UEFI' } });
        assert.match(patches[0]!.ifMatch ?? '', /^"\w+"$/, 'a strong ETag in If-Match');
        assert.equal(cluster.vm().firmware, 'efi');
      });

      it('deploy: boot Cd Once with If-Match puts the CD-ROM first in bootOrder', async () => {
        const reply = await ironic.step('set_boot', { target: 'Cd' });
        const patches = requests(reply, 'PATCH', new RegExp(`^${systemPath}$`));
        ironic.expect(
          reply,
          patches.length === 1 && isSuccess(patches[0]!.status),
          'one PATCH accepted',
        );
        assert.deepEqual(patches[0]!.body, {
          Boot: { BootSourceOverrideTarget: 'Cd', BootSourceOverrideEnabled: 'Once' },
        });
        assert.match(patches[0]!.ifMatch ?? '', /^"\w+"$/, 'a strong ETag in If-Match');
        assert.deepEqual(reply.result.boot, { target: 'Cd', enabled: 'Once', mode: 'UEFI' });
        const vm = cluster.vm();
        assert.equal(
          firstBoot(vm.bootOrder),
          mediaDisk,
          `bootOrder ${JSON.stringify(vm.bootOrder)}`,
        );
        assert.deepEqual(await kubectl.bootOrder('vm', namespace, name), vm.bootOrder);
        assert.ok((vm.bootOrder[rootDisk] ?? 0) > (vm.bootOrder[mediaDisk] ?? 0));
      });

      it('deploy: power On, polling until On; the VMI boots the CD-ROM', async () => {
        const reply = await ironic.step('power_on');
        const resets = requests(reply, 'POST', /ComputerSystem\.Reset$/);
        ironic.expect(
          reply,
          resets.length === 1 && isSuccess(resets[0]!.status),
          'one Reset accepted',
        );
        assert.deepEqual(resets[0]!.body, { ResetType: 'On' });
        assert.equal(reply.result.seen.at(-1), 'On');
        const vmi = await cluster.until(
          () => cluster.vmi(),
          (v) => v?.phase === 'Running',
          'a running VMI',
        );
        assert.ok(vmi);
        assert.equal(
          firstBoot(vmi.bootOrder),
          mediaDisk,
          `VMI bootOrder ${JSON.stringify(vmi.bootOrder)}`,
        );
        assert.equal(
          vmi.rebootPolicy,
          sim.cluster.rebootPolicy ? 'Terminate' : undefined,
          'with the gate, a reboot from inside the guest ends this VMI; never a field pruned or denied',
        );
        cdBootVmiUid = vmi.uid;
        assert.deepEqual(await kubectl.bootOrder('vmi', namespace, name), vmi.bootOrder);
        assert.equal(await kubectl.jsonpath('vmi', namespace, name, '{.status.phase}'), 'Running');
        assert.equal(await kubectl.jsonpath('vmi', namespace, name, '{.metadata.uid}'), vmi.uid);
      });

      it('deploy: the installer reboots the guest and the node boots from its disk', async () => {
        sim.controllers.guestReboot(namespace, name);
        if (!sim.cluster.rebootPolicy) {
          // The documented semantics: the same VMI reboots into the same device list (CD first);
          // the template already reads the disk first, so Ironic's power cycle boots the disk.
          await cluster.until(
            () => cluster.vmi(),
            (v) => v?.uid === cdBootVmiUid && v.phase === 'Running' && v.agentConnected,
            'the guest to come back in the same VMI',
          );
          assert.equal(firstBoot(cluster.vmi()?.bootOrder ?? {}), mediaDisk);
          assert.equal(firstBoot(cluster.vm().bootOrder), rootDisk, 'the template is restored');
          await ironic.step('power_off');
          await ironic.step('power_on');
          guestReboot = 'documented';
        }
        const vmi = await cluster.until(
          () => cluster.vmi(),
          (v) => v !== undefined && v.uid !== cdBootVmiUid && v.phase === 'Running',
          'a new running VMI after the guest reboot',
        );
        assert.ok(vmi);
        assert.equal(
          firstBoot(vmi.bootOrder),
          rootDisk,
          `VMI bootOrder ${JSON.stringify(vmi.bootOrder)}`,
        );
        const vm = await cluster.until(
          () => cluster.vm(),
          (v) => v.runStrategy === 'Manual',
          'runStrategy Manual again',
        );
        assert.equal(firstBoot(vm.bootOrder), rootDisk);
        assert.equal(vm.bootAnnotation, undefined, 'the one-time boot is over');
        assert.equal(
          await kubectl.jsonpath('vm', namespace, name, '{.spec.runStrategy}'),
          'Manual',
        );
        assert.deepEqual(await kubectl.bootOrder('vmi', namespace, name), vmi.bootOrder);
        const state = await ironic.step('state');
        assert.equal(state.result.powerState, 'On');
        assert.equal(state.result.boot.enabled, 'Disabled');
        assert.equal(
          state.result.media[via][0].inserted,
          !refusedInsert,
          'the media stays until tear-down',
        );
        guestReboot ??= 'works';
      });

      it('tear-down: ForceOff, then EjectMedia with no body deletes the DataVolume', async () => {
        const off = await ironic.step('power_off');
        assert.equal(off.result.final, 'Off');
        await cluster.until(
          () => cluster.vmi(),
          (vmi) => vmi === undefined,
          'the VMI to go',
        );
        const reply = await ironic.step('eject');
        const ejects = requests(reply, 'POST', /VirtualMedia\.EjectMedia$/);
        if (refusedInsert) {
          ironic.expect(reply, ejects.length === 0, 'nothing to eject');
          return;
        }
        ironic.expect(reply, ejects.length >= 1, 'EjectMedia sent');
        for (const eject of ejects) {
          ironic.expect(reply, isSuccess(eject.status), 'EjectMedia accepted without a body');
          assert.equal(eject.body, null, 'no body');
          assert.equal(eject.contentType, null, 'no Content-Type');
        }
        await cluster.until(
          () => cluster.mediaDataVolumes(),
          (dvs) => dvs.length === 0,
          'the DataVolume to be deleted',
        );
        assert.equal(cluster.vm().mediaVolume, undefined, 'the CD-ROM is empty');
        assert.deepEqual(
          await kubectl.names('datavolumes', namespace, vmUidSelector(cluster.vm().uid ?? '')),
          [],
        );
        const state = await ironic.step('state');
        assert.equal(state.result.media[via][0].inserted, false);
      });

      it('soft reboot (GracefulRestart) reboots the guest in the same VMI', async () => {
        await ironic.step('power_on');
        const vmi = await cluster.until(
          () => cluster.vmi(),
          (v) => v?.phase === 'Running' && v.agentConnected,
          'a running VMI with its agent',
        );
        let rebooted = false;
        const stop = sim.store.subscribe((event) => {
          if (
            event.object.metadata.name !== name ||
            event.typeKey !== 'virtualmachineinstances.kubevirt.io'
          )
            return;
          const conditions =
            (event.object.status as { conditions?: { type: string }[] } | undefined)?.conditions ??
            [];
          if (!conditions.some((c) => c.type === 'AgentConnected')) rebooted = true;
        });
        try {
          const reply = await ironic.step('soft_reboot');
          const resets = requests(reply, 'POST', /ComputerSystem\.Reset$/);
          assert.deepEqual(
            resets.map((r) => r.body),
            [{ ResetType: 'GracefulRestart' }],
          );
          ironic.expect(reply, isSuccess(resets[0]!.status), 'GracefulRestart accepted');
          await cluster.until(
            () => rebooted,
            (seen) => seen,
            'the guest to reboot (agent reconnects)',
          );
        } finally {
          stop();
        }
        const rebootedVmi = cluster.vmi();
        assert.equal(rebootedVmi?.uid, vmi?.uid, 'a soft reboot keeps the VMI');
        assert.equal(rebootedVmi?.phase, 'Running');
      });

      it('soft power-off (GracefulShutdown) ends the VMI and the node reads Off', async () => {
        const reply = await ironic.step('soft_power_off');
        const resets = requests(reply, 'POST', /ComputerSystem\.Reset$/);
        assert.deepEqual(
          resets.map((r) => r.body),
          [{ ResetType: 'GracefulShutdown' }],
        );
        assert.equal(reply.result.seen.at(-1), 'Off');
        await cluster.until(
          () => cluster.vmi(),
          (vmi) => vmi === undefined,
          'the VMI to go',
        );
        const strategy = cluster.vm().runStrategy;
        assert.ok(
          strategy === 'Halted' || strategy === 'Manual',
          `runStrategy ${strategy} keeps it off`,
        );
        const sync = await ironic.step('power_sync', { polls: 1 });
        assert.deepEqual(sync.result.states, ['power off']);
      });

      it('error path: a ResetType outside AllowableValues is refused by sushy and by the service', async () => {
        const reply = await ironic.step('reset_outside_allowable', { resetType: 'PowerCycle' });
        assert.match(reply.result.local, /PowerCycle|POWER_CYCLE/);
        const posts = requests(reply, 'POST', /ComputerSystem\.Reset$/);
        ironic.expect(reply, posts.length === 1, 'only the raw POST reached the service');
        assert.equal(reply.result.service.status, 400);
        assert.match(
          posts[0]!.responseBody ?? '',
          /ActionParameterValueNotInList|ActionParameterNotSupported/,
        );
        assert.equal(cluster.vmi(), undefined, 'nothing was powered on');
      });

      it('error path: EjectMedia on an empty slot is accepted (no retry with {})', async () => {
        const reply = await ironic.step('eject_slot', { via });
        const ejects = requests(reply, 'POST', /VirtualMedia\.EjectMedia$/);
        ironic.expect(reply, ejects.length === 1, 'exactly one EjectMedia, no fallback retry');
        ironic.expect(reply, isSuccess(ejects[0]!.status), 'the empty eject answers 2xx');
        assert.equal(ejects[0]!.body, null);
        assert.equal(reply.result.slot.inserted, false);
        assert.equal(cluster.mediaDataVolumes().length, 0);
      });

      // Inspection reads and writes the same way whatever the auth: once, on this service.
      if (auth === 'basic')
        defineInspection({ service: () => service, python: () => sushy.require() });

      if (profile)
        it('no request wrote a field this release prunes or denies', () => {
          assert.deepEqual(sim.admissions, []);
        });

      if (auth === 'session')
        it('logout: sushy DELETEs its session at the Location it was given', async () => {
          const reply = await ironic.step('logout');
          const deletes = reply.exchanges.filter((x) => x.method === 'DELETE');
          ironic.expect(
            reply,
            deletes.length === 1 && isSuccess(deletes[0]!.status),
            'the session is deleted',
          );
        });
    },
  );
  return skip;
};
