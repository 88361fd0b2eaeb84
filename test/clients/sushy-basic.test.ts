// Ironic's flows through sushy with Basic auth, media through the Manager (sushy 4.3.3's only path).
import { defineIronicSuite } from './ironic-flow.ts';

await defineIronicSuite('basic', 'manager');
