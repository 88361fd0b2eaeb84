// Keeps docs/REDFISH.md true to the code: its route table against the exported routeTable (both
// ways, with privileges), its ResetType list against what the service advertises, and its error
// table against the Base messages (and HTTP statuses) the service can emit.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { PowerActions } from '../../src/backend/port.ts';
import { supportedResetTypes } from '../../src/redfish/enums.ts';
import * as messages from '../../src/redfish/messages.ts';
import { baseMessages } from '../../src/redfish/registry/base-messages.generated.ts';
import { routeTable } from '../../src/redfish/routes.ts';

const doc = readFileSync(new URL('../../docs/REDFISH.md', import.meta.url), 'utf8');
const lines = doc.split('\n');

/** `| GET | /redfish/v1/Systems/{systemId} | Login |` rows, as `METHOD url privilege` with the
 *  URL in the route table's `:param` form. */
const documentedRoutes = (): string[] =>
  lines.flatMap((line) => {
    const match =
      /^\|\s*(GET|HEAD|POST|PATCH|PUT|DELETE)\s*\|\s*(\/redfish\S*)\s*\|\s*(\w+)\s*\|$/.exec(
        line.trim(),
      );
    if (!match) return [];
    const [, method, url, privilege] = match as unknown as [string, string, string, string];
    return [`${method} ${url.replace(/\{(\w+)\}/g, ':$1')} ${privilege}`];
  });

const servedRoutes = (): string[] => routeTable.map((r) => `${r.method} ${r.url} ${r.privilege}`);

/** The rows of the markdown table that follows `heading`, split into trimmed cells. */
const tableAfter = (heading: string): string[][] => {
  const start = lines.findIndex((l) => l.trim() === heading);
  assert.ok(start >= 0, `REDFISH.md has no heading "${heading}"`);
  const rows: string[][] = [];
  let inTable = false;
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('#')) break;
    if (line.startsWith('|')) {
      inTable = true;
      rows.push(
        line
          .trim()
          .slice(1, -1)
          .split('|')
          .map((c) => c.trim()),
      );
    } else if (inTable) break;
  }
  // Header and separator rows.
  return rows.slice(2);
};

describe('docs/REDFISH.md route table', () => {
  it('lists every served route with its privilege', () => {
    const documented = new Set(documentedRoutes());
    const missing = servedRoutes().filter((r) => !documented.has(r));
    assert.deepEqual(missing, [], 'routes served but not documented (or with another privilege)');
  });

  it('lists nothing the service does not serve', () => {
    const served = new Set(servedRoutes());
    const extra = documentedRoutes().filter((r) => !served.has(r));
    assert.deepEqual(extra, [], 'routes documented but not served');
  });

  it('lists each route once', () => {
    const routes = documentedRoutes();
    assert.equal(new Set(routes).size, routes.length);
    assert.equal(routes.length, routeTable.length);
  });
});

describe('docs/REDFISH.md power section', () => {
  it('states exactly the advertised ResetType values, in order', () => {
    const match = /`ResetType@Redfish\.AllowableValues` is exactly:\s*([^.]+)\./.exec(doc);
    assert.ok(match?.[1], 'the AllowableValues sentence is missing');
    const stated = match[1].split(',').map((v) => v.trim());
    const advertised = supportedResetTypes({
      nmi: false,
      cdromHotplug: true,
      rebootPolicyTerminate: true,
    });
    assert.deepEqual(stated, [...advertised]);
  });

  it('maps only ResetTypes the backend implements', () => {
    const table = tableAfter('## Power');
    assert.ok(table.length > 0);
    const types = new Set(table.map((row) => row[0] ?? ''));
    for (const type of types)
      assert.ok((PowerActions as readonly string[]).includes(type), `${type} is not a PowerAction`);
    for (const type of supportedResetTypes({
      nmi: false,
      cdromHotplug: true,
      rebootPolicyTerminate: true,
    }))
      assert.ok(types.has(type), `the power table does not say what ${type} does`);
  });
});

/** The HTTP status each Base message is emitted with, learned by calling every message helper
 *  of src/redfish/messages.ts with placeholder arguments. GeneralError takes its status as an
 *  argument, so any documented status is accepted for it. */
const emittedStatuses = (): Map<string, Set<number>> => {
  const statuses = new Map<string, Set<number>>();
  for (const helper of Object.values(messages)) {
    if (typeof helper !== 'function' || helper === messages.generalError) continue;
    // Strings suit most helpers; operationNotAllowed wants the Allow list as an array.
    const call = (...args: unknown[]): unknown => {
      try {
        return (helper as (...a: unknown[]) => unknown)(...args);
      } catch {
        return undefined;
      }
    };
    const result = call('a', 'b', 'c') ?? call(['a'], ['b'], ['c']);
    const m = result as { key?: unknown; status?: unknown } | undefined;
    if (typeof m?.key !== 'string' || typeof m.status !== 'number') continue;
    const set = statuses.get(m.key) ?? new Set<number>();
    set.add(m.status);
    statuses.set(m.key, set);
  }
  return statuses;
};

describe('docs/REDFISH.md error table', () => {
  const rows = tableAfter('## Errors');
  const emitted = emittedStatuses();

  it('names only Base messages the service emits, with the status it emits them with', () => {
    assert.ok(rows.length > 10);
    for (const [status, names] of rows) {
      for (const name of (names ?? '').split(',').map((n) => n.trim())) {
        assert.ok(name in baseMessages, `${name} is not a Base registry message`);
        if (name === 'GeneralError') continue;
        const statuses = emitted.get(name);
        assert.ok(statuses, `the service never emits ${name}`);
        assert.ok(
          statuses.has(Number(status)),
          `${name} is emitted with ${[...statuses].join(', ')}`,
        );
      }
    }
  });

  it('documents every error message the service emits', () => {
    const documented = new Set(rows.flatMap(([, names]) => (names ?? '').split(', ')));
    // ResetRequired and UndeterminedFault are not errors: they appear in Task messages and
    // resource Conditions, which the virtual-media and system sections describe.
    const notErrors = new Set(['ResetRequired', 'UndeterminedFault']);
    const undocumented = [...emitted.keys()].filter((k) => !documented.has(k) && !notErrors.has(k));
    assert.deepEqual(undocumented, []);
    for (const name of notErrors) assert.match(doc, new RegExp(`Base\\.${name}`));
  });
});
