// What an attacker would change by polluting prototypes: the own properties (names and values) of
// Object.prototype, Array.prototype and Function.prototype. Two snapshots must be equal.
export function prototypeSnapshot(): Record<string, string[]> {
  const describe = (target: object) =>
    Reflect.ownKeys(target)
      .map((key) => {
        const d = Object.getOwnPropertyDescriptor(target, key);
        const value = d && "value" in d ? typeof d.value : "accessor";
        return `${String(key)}:${value}`;
      })
      .sort();
  return {
    object: describe(Object.prototype),
    array: describe(Array.prototype),
    function: describe(Function.prototype),
  };
}
