// The generated message table must say exactly what the bundled DMTF registry (the one served
// under Registries) says.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { baseMessages, baseRegistry } from './base-messages.generated.ts';
import { bundledRegistries } from './bundled-files.generated.ts';

interface RegistryMessage {
  Message: string;
  MessageSeverity: string;
  Resolution: string;
  ParamTypes?: string[];
}

const registry = JSON.parse(bundledRegistries[baseRegistry.file] ?? '{}') as {
  Id: string;
  Messages: Record<string, RegistryMessage>;
};

void describe('generated Base registry', () => {
  void it('is generated from the copy served with it', () => {
    assert.equal(registry.Id, baseRegistry.id);
    assert.equal(baseRegistry.messageIdPrefix, 'Base.1.22');
  });
  void it('holds every message with its text, severity, resolution and argument types', () => {
    assert.deepEqual(Object.keys(baseMessages).sort(), Object.keys(registry.Messages).sort());
    for (const [id, m] of Object.entries(registry.Messages)) {
      const generated = baseMessages[id as keyof typeof baseMessages];
      assert.equal(generated.message, m.Message, id);
      assert.equal(generated.severity, m.MessageSeverity, id);
      assert.equal(generated.resolution, m.Resolution, id);
      assert.deepEqual([...generated.paramTypes], m.ParamTypes ?? [], id);
    }
  });
});
