import { createRequire } from 'node:module';
import * as promiseHelpers from '@whatwg-node/promise-helpers';

/**
 * Keeps alive one object of each shape that `@whatwg-node/promise-helpers` builds for its fake
 * promises, so that V8 never collects those shapes (its hidden classes, "maps") and the code
 * that builds them stays fast for the life of the process.
 *
 * graphql-yoga, envelop and whatwg-node call `fakePromise` a few dozen times a request. Its
 * object literals have computed keys (`[Symbol.toStringTag]`, a symbol of its own), which V8
 * adds one at a time through a map transition that optimised code takes straight from the
 * literal's feedback, as long as that feedback names a single map. The maps at the end of those
 * transitions are held only by the objects that have them, all short-lived, and weakly by the
 * code and the feedback. A full collection that reduces memory (V8's memory reducer starts one
 * when the process seems idle, and one 100 seconds after the last full collection whatever the
 * load) does not retain maps that no object has: those maps die, every function optimised with
 * them is thrown away, and the next fake promise is built with a new map. The feedback, which
 * named the dead map, then says "megamorphic" for good, so the code optimised again adds the
 * computed keys through the runtime: measured, 20 % of the server's CPU, and every request
 * costing about 30 % more from then on (1.28–1.34 times the CPU in `npm run bench:steady-state`).
 *
 * An object of each shape kept here keeps its map, and the maps before it (a map holds its
 * parent), alive: the collection finds them in use. One set for each copy of the package that
 * is loaded (its ES module and its CommonJS build, which node-fetch requires). Each object holds
 * another object as its value, so that the field starts as general as the library's own use
 * makes it (a map whose field is made more general in place stays the same map);
 * test/fake-promise-shapes.process.test.ts checks, in the server's own process and after
 * requests of every kind, that the objects kept still have the maps the library builds.
 * Called once, at the start of `main.ts`.
 */
export function keepFakePromiseShapes(): void {
  if (kept.length === 0) {
    for (const helpers of loadedCopies()) {
      kept.push(
        helpers.fakePromise(keptValue),
        // A thenable that is no promise (no `catch`): the library wraps it in its second shape.
        // biome-ignore lint/suspicious/noThenProperty: a thenable, on purpose
        helpers.fakePromise({ then: (resolve?: (value: unknown) => unknown) => resolve?.(keptValue) }),
        helpers.fakeRejectPromise(keptValue),
      );
    }
  }
}

const kept: object[] = [];

/** The objects kept so far (none before `keepFakePromiseShapes`): for the test's probe. */
export function keptFakePromises(): readonly object[] {
  return kept;
}

const keptValue = Object.freeze({ kept: true });

type PromiseHelpers = Pick<typeof promiseHelpers, 'fakePromise' | 'fakeRejectPromise'>;

/** The package as this module imports it (ES module) and as `require` loads it (CommonJS). */
function loadedCopies(): PromiseHelpers[] {
  const required = createRequire(import.meta.url)('@whatwg-node/promise-helpers') as PromiseHelpers;
  return required.fakePromise === promiseHelpers.fakePromise ? [promiseHelpers] : [promiseHelpers, required];
}
