// Preloaded into a server process (`node --import`) by test/fast-prototypes.process.test.ts:
// when the process exits, it writes to stderr whether each primitive's prototype has fast
// properties (V8's own answer, through a native function this file alone is allowed to call).
import { writeSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--allow-natives-syntax');
const hasFastProperties = new Function('object', 'return %HasFastProperties(object)');
process.once('exit', () => {
  for (const type of [String, Number, Boolean, Symbol, BigInt])
    writeSync(2, `\n${type.name}.prototype has fast properties: ${hasFastProperties(type.prototype)}\n`);
});
