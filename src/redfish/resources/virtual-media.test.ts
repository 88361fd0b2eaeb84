// Unit tests: the VirtualMedia body per media state and InsertMedia parameter translation.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { VisibleSystem } from '../../auth/types.ts';
import type { MediaSnapshot, VmSnapshot } from '../../backend/port.ts';
import { isRedfishError } from '../messages.ts';
import { validateRedfish } from '../../../test/helpers/redfish-schema.ts';
import { toInsertRequest, toVirtualMedia, toVirtualMediaCollection } from './virtual-media.ts';

const system = (media: MediaSnapshot): VisibleSystem => ({
  id: 'ns.vm',
  ref: { namespace: 'ns', name: 'vm' },
  chassis: 'lab',
  snapshot: { ref: { namespace: 'ns', name: 'vm' }, media } as VmSnapshot,
});
const slot = { writeProtected: true, pendingRestart: false };

void test('every media state renders a schema-valid slot; Inserted only when ready', () => {
  const states: MediaSnapshot[] = [
    { ...slot, state: 'Empty', inserted: false },
    {
      ...slot,
      state: 'Importing',
      inserted: false,
      image: 'http://h/a.iso',
      imageName: 'a.iso',
      transferProtocol: 'HTTP',
    },
    {
      ...slot,
      state: 'Ready',
      inserted: true,
      image: 'https://h/a.iso',
      imageName: 'a.iso',
      transferProtocol: 'HTTPS',
    },
    { ...slot, state: 'Failed', inserted: false, image: 'http://h/a.iso', message: 'got 404' },
  ];
  const bodies = states.map((m) => toVirtualMedia(system(m), 'manager', true));
  for (const body of bodies) validateRedfish(body);
  assert.deepEqual(
    bodies.map((b) => b.Inserted),
    [false, false, true, false],
  );
  assert.deepEqual(
    bodies.map((b) => b.ConnectedVia),
    ['NotConnected', 'URI', 'URI', 'URI'],
  );
  assert.deepEqual(
    bodies.map((b) => (b.Status as { Health: string }).Health),
    ['OK', 'OK', 'OK', 'Critical'],
  );
  assert.equal(bodies[0]?.['@odata.id'], '/redfish/v1/Managers/ns.vm/VirtualMedia/Cd');
  validateRedfish(toVirtualMediaCollection(system(states[0]!), 'system'));
});

const messageOf = (params: Parameters<typeof toInsertRequest>[0]): string => {
  try {
    toInsertRequest(params);
  } catch (error) {
    if (isRedfishError(error)) return error.messages[0].key;
    throw error;
  }
  return 'accepted';
};

void test('InsertMedia parameters become a request or the precise message', () => {
  assert.deepEqual(toInsertRequest({ Image: 'https://h/a.iso', TransferProtocolType: 'HTTPS' }), {
    url: 'https://h/a.iso',
    writeProtected: true,
  });
  assert.deepEqual(toInsertRequest({ Image: 'http://u%40x:p%3Aw@h/a.iso' }), {
    url: 'http://h/a.iso',
    writeProtected: true,
    credentials: { username: 'u@x', password: 'p:w' },
  });
  assert.deepEqual(
    toInsertRequest({ Image: 'http://h/a.iso', UserName: 'a', Password: 'b', Inserted: null })
      .credentials,
    { username: 'a', password: 'b' },
  );
  assert.equal(
    messageOf({ Image: 'http://h/a.iso', TransferProtocolType: 'HTTPS' }),
    'ActionParameterValueError',
  );
  assert.equal(messageOf({ Image: 'nfs://h/a.iso' }), 'ActionParameterValueNotInList');
  assert.equal(
    messageOf({ Image: 'http://h/a.iso', Inserted: false }),
    'ActionParameterValueNotInList',
  );
  assert.equal(messageOf({ Image: 'http://h/a.iso', Password: 'p' }), 'ActionParameterMissing');
  assert.equal(messageOf({ Image: '::' }), 'ActionParameterValueError');
});
