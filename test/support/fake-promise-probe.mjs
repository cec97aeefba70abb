// Preloaded into a server process (`node --import`) by test/fake-promise-shapes.process.test.ts:
// when the process exits, it writes to stderr how many fake promises the server keeps
// (src/fake-promise-shapes.ts) and whether each has the hidden class ("map") that
// @whatwg-node/promise-helpers gives the same kind of fake promise it builds now, by V8's own
// answer, through a native function this file alone is allowed to call.
import diagnostics from 'node:diagnostics_channel';
import { writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import * as esm from '@whatwg-node/promise-helpers';

setFlagsFromString('--allow-natives-syntax');
const haveSameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)');
const cjs = createRequire(import.meta.url)('@whatwg-node/promise-helpers');

// The server's own module, the one its main script imported (the sources through tsx, or the
// build): asked for once the server answers its first request, by when it is loaded.
const main = process.argv[1] ?? '';
const shapesUrl = new URL(`fake-promise-shapes${extname(main)}`, pathToFileURL(main));
let kept;
const firstRequest = () => {
  diagnostics.unsubscribe('http.server.request.start', firstRequest);
  import(shapesUrl.href).then((module) => {
    kept = module.keptFakePromises();
  });
};
diagnostics.subscribe('http.server.request.start', firstRequest);

process.once('exit', () => {
  const fresh = [esm, cjs].flatMap((helpers) => [
    helpers.fakePromise({}),
    // A thenable that is no promise: the library's second shape.
    // biome-ignore lint/suspicious/noThenProperty: a thenable, on purpose
    helpers.fakePromise({ then() {} }),
    helpers.fakeRejectPromise({}),
  ]);
  writeSync(2, `\nfake promises kept: ${kept?.length ?? 'none'}\n`);
  fresh.forEach((object, i) => {
    writeSync(
      2,
      `fake promise ${i} kept with the library's map: ${kept?.[i] !== undefined && haveSameMap(kept[i], object)}\n`,
    );
  });
});
