import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../config/load.ts';
import { vmLabelSelectorsOf } from './cluster-connection.ts';

const config = (chassis: string) =>
  parseConfig(
    `chassis:\n${chassis}authentication:\n  users:\n    - {username: a, password: p, chassis: [one]}\n`,
    'test',
  ).config;

void describe('VM label selectors per namespace', () => {
  void it('are the labels every chassis of the namespace requires', () => {
    const selectors = vmLabelSelectorsOf(
      config(`  - {name: one, namespace: ns, vm_selector: {labels: {redfish: "on", tier: web}}}
  - {name: two, namespace: ns, vm_selector: {labels: {tier: web, redfish: "on", team: b}}}
  - {name: three, namespace: other, vm_selector: {labels: {redfish: "on"}}}
`),
    );
    assert.deepEqual(selectors, { ns: 'redfish=on,tier=web', other: 'redfish=on' });
  });

  void it('are absent where one chassis takes every VM or by name only', () => {
    const selectors = vmLabelSelectorsOf(
      config(`  - {name: one, namespace: ns, vm_selector: {labels: {redfish: "on"}}}
  - {name: two, namespace: ns}
  - {name: three, namespace: named, vm_selector: {names: [vm-a]}}
  - {name: four, namespace: split, vm_selector: {labels: {a: "1"}}}
  - {name: five, namespace: split, vm_selector: {labels: {a: "2"}}}
`),
    );
    assert.deepEqual(selectors, {});
  });
});
