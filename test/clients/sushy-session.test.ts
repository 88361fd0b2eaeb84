// Ironic's flows through sushy with session auth (X-Auth-Token), media through the System's link.
import { defineIronicSuite } from './ironic-flow.ts';

await defineIronicSuite('session', 'system');
