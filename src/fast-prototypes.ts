/**
 * Gives `String.prototype` back the fast properties that loading ioredis takes from it (and
 * keeps the other primitives' prototypes fast).
 *
 * ioredis 6 declares `class VerbatimString extends String`. Making String.prototype the
 * prototype of a class prototype puts it in V8's dictionary mode. Nothing ever turns it back:
 * V8 makes a prototype fast again when an inline cache misses on an object whose chain holds
 * it, and a string's method is looked up on the primitive, which is no object.
 *
 * Optimised code cannot inline a property that lives on a dictionary-mode prototype. So for
 * the life of the process, every `s.slice`, `s.toLowerCase`, `s.charCodeAt` … that TurboFan
 * compiled calls V8's generic load instead (about 120 instructions where an inline load is a
 * handful). That came to 5 % of the instructions of an anonymous `{ version }`
 * (`npm run bench:instructions`).
 *
 * The remedy is the one Babel and Bluebird use (`to-fast-properties`): make the object the
 * prototype of a constructor, build an instance, and load a property through it, so that V8
 * marks the object as a prototype that should be fast and migrates it. Once marked, a later
 * `extends String` leaves it fast. Called once, at the start of `main.ts`, after every static
 * import has run; test/fast-prototypes.process.test.ts checks it in the server's own process.
 */
export function keepPrimitivePrototypesFast(): void {
  // String's is the one seen slow; the others are looked up the same way, from primitives, so
  // nothing would make them fast again either if a module ever did the same to them.
  for (const prototype of [String.prototype, Number.prototype, Boolean.prototype, Symbol.prototype, BigInt.prototype])
    makeFast(prototype);
}

function makeFast(object: object): void {
  function Holder() {}
  Holder.prototype = object;
  // biome-ignore lint/suspicious/noExplicitAny: a plain function used as a constructor, on purpose
  const instance = new (Holder as any)();
  // Loads that miss, from an inline cache that has seen more than one shape: the miss makes
  // V8 walk the instance's prototype chain and make each prototype on it fast.
  const load = (o: { missing?: unknown }) => o.missing;
  const other: { missing?: unknown; extra?: number } = Object.create(object);
  other.extra = 1;
  for (let i = 0; i < 4; i++) {
    load(instance);
    load(other);
  }
}
