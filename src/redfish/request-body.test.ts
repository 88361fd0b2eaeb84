// Unit tests of request-body parsing: every schema violation becomes the precise Base message.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { RedfishError } from './messages.ts';
import { compileBodySchema, parseActionBody, parsePatchBody } from './request-body.ts';

interface Params {
  readonly Mode: string;
  readonly Level?: number;
}
const validateAction = compileBodySchema<Params>({
  type: 'object',
  properties: {
    Mode: { type: 'string', enum: ['A', 'B'] },
    Level: { type: 'integer', nullable: true },
  },
  required: ['Mode'],
  additionalProperties: false,
});

interface Patch {
  readonly Boot?: { readonly Target?: string };
}
const validatePatch = compileBodySchema<Patch>({
  type: 'object',
  properties: {
    Boot: {
      type: 'object',
      nullable: true,
      properties: { Target: { type: 'string', enum: ['Pxe', 'Hdd'], nullable: true } },
      additionalProperties: false,
    },
  },
  additionalProperties: false,
});

const current = {
  Id: 'a',
  Boot: { Target: 'Hdd', 'Target@Redfish.AllowableValues': ['Pxe', 'Hdd'] },
};

/** The message ids and arguments a parse failure reports. */
const failure = (parse: () => unknown): string[] => {
  try {
    parse();
  } catch (error) {
    assert.ok(error instanceof RedfishError);
    return error.messages.map((m) => `${m.key}(${m.args.join(',')})${m.relatedProperties.join()}`);
  }
  assert.fail('expected a RedfishError');
};

void describe('action bodies', () => {
  const parse = (body: unknown) => () => parseActionBody(validateAction, body, 'X.Do');

  void it('returns the typed parameters', () => {
    assert.deepEqual(parseActionBody(validateAction, { Mode: 'A', Level: 2 }, 'X.Do'), {
      Mode: 'A',
      Level: 2,
    });
  });
  void it('reports a missing parameter, also when there is no body at all', () => {
    assert.deepEqual(failure(parse({})), ['ActionParameterMissing(X.Do,Mode)#/Mode']);
    assert.deepEqual(failure(parse(undefined)), ['ActionParameterMissing(X.Do,Mode)#/Mode']);
  });
  void it('reports unknown parameters, wrong types and values outside the list', () => {
    assert.deepEqual(failure(parse({ Mode: 'C', Level: 'x', Extra: 1 })).sort(), [
      'ActionParameterUnknown(X.Do,Extra)#/Extra',
      'ActionParameterValueNotInList(C,Mode,X.Do)#/Mode',
      'ActionParameterValueTypeError(x,Level,X.Do)#/Level',
    ]);
  });
  void it('refuses a body that is not an object', () => {
    assert.deepEqual(failure(parse(['A'])), ['UnrecognizedRequestBody()']);
    assert.deepEqual(failure(parse('A')), ['UnrecognizedRequestBody()']);
  });
});

void describe('PATCH bodies', () => {
  const parse = (body: unknown) => () => parsePatchBody(validatePatch, body, current);

  void it('returns the typed change', () => {
    assert.deepEqual(parsePatchBody(validatePatch, { Boot: { Target: 'Pxe' } }, current), {
      Boot: { Target: 'Pxe' },
    });
  });
  void it('tells read-only properties from unknown ones by what the resource shows', () => {
    assert.deepEqual(failure(parse({ Id: 'b' })), ['PropertyNotWritable(Id)#/Id']);
    assert.deepEqual(failure(parse({ Nope: 1 })), ['PropertyUnknown(Nope)#/Nope']);
    assert.deepEqual(failure(parse({ Boot: { 'Target@Redfish.AllowableValues': [] } })), [
      'PropertyNotWritable(Boot/Target@Redfish.AllowableValues)#/Boot/Target@Redfish.AllowableValues',
    ]);
    assert.deepEqual(failure(parse({ Boot: { Other: 1 } })), [
      'PropertyUnknown(Boot/Other)#/Boot/Other',
    ]);
  });
  void it('reports bad values with the property path', () => {
    assert.deepEqual(failure(parse({ Boot: { Target: 'Floppy' } })), [
      'PropertyValueNotInList(Floppy,Boot/Target)#/Boot/Target',
    ]);
    assert.deepEqual(failure(parse({ Boot: 'Pxe' })), ['PropertyValueTypeError(Pxe,Boot)#/Boot']);
    assert.deepEqual(failure(parse({ Boot: { Target: 3 } })).length, 2); // type and enum
  });
  void it('refuses empty and non-object bodies', () => {
    assert.deepEqual(failure(parse(undefined)), ['EmptyJSON()']);
    assert.deepEqual(failure(parse({})), ['EmptyJSON()']);
    assert.deepEqual(failure(parse([1])), ['UnrecognizedRequestBody()']);
  });
  void it('reports every problem at once', () => {
    assert.equal(failure(parse({ Id: 'b', Nope: 1, Boot: { Target: 'Floppy' } })).length, 3);
  });
  void it('refuses a null at any level as a type error, once', () => {
    assert.deepEqual(failure(parse({ Boot: null })), ['PropertyValueTypeError(null,Boot)#/Boot']);
    assert.deepEqual(failure(parse({ Boot: { Target: null } })), [
      'PropertyValueTypeError(null,Boot/Target)#/Boot/Target',
    ]);
    assert.deepEqual(failure(parse({ Nope: null })), ['PropertyUnknown(Nope)#/Nope']);
  });
  void it('echoes a short preview of a deep or long value', () => {
    let deep: unknown = [];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    assert.deepEqual(failure(parse({ Boot: deep })), [
      'PropertyValueTypeError([[[[…]]]],Boot)#/Boot',
    ]);
    const [long] = failure(parse({ Boot: 'x'.repeat(5000) }));
    assert.ok(long !== undefined && long.length < 200, long);
  });
});
