// Every URI a builder in odata.ts can produce is served by a route of the table, so a builder
// and its route cannot drift apart (route URLs are literal strings, builders are functions).
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { matchRoute, type HttpMethod } from './handler.ts';
import { redfishDateTime, uris, type MediaHost } from './odata.ts';
import { routeTable } from './routes.ts';

const hosts: readonly MediaHost[] = ['system', 'manager'];
const actions = ['VirtualMedia.InsertMedia', 'VirtualMedia.EjectMedia'];

/** Every URI each builder yields for a sample Id (and each host and action it takes). */
const builtUris = (): { name: string; uri: string }[] =>
  Object.entries(uris).flatMap(([name, build]) => {
    if (typeof build === 'string') return [{ name, uri: build }];
    const fn = build as (...args: string[]) => string;
    const argSets =
      fn.length === 1
        ? [['sample-id']]
        : fn.length === 2
          ? hosts.map((h) => [h, 'sample-id'])
          : hosts.flatMap((h) => actions.map((a) => [h, 'sample-id', a]));
    return argSets.map((args) => ({ name, uri: fn(...args) }));
  });

void describe('odata URI builders', () => {
  void it('every built URI is routed', () => {
    const methods: HttpMethod[] = ['GET', 'POST'];
    for (const { name, uri } of builtUris()) {
      const routed = methods.some((m) => matchRoute(routeTable, m, uri) !== undefined);
      assert.ok(routed, `uris.${name} builds ${uri}, which no route serves`);
    }
  });

  void it('formats Redfish DateTime to the second with an explicit offset', () => {
    assert.equal(redfishDateTime(Date.UTC(2026, 0, 2, 3, 4, 5, 678)), '2026-01-02T03:04:05+00:00');
  });
});
