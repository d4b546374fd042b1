// Values of the policy input that must reach the policy as JSON text rather than as JS values:
// numbers a double cannot hold (a JSON body's `12345678901234567890`, an int64 `size` above 2^53).
// OPA keeps such numbers exactly; so does OPA's Wasm JSON parser, if it is given their digits.
// The input stays a plain object for everything else (enrichers, decision logs, which see the
// rounded numbers); each such value is recorded as a slot (holder object, key, JSON text), kept
// under a symbol key that JSON.stringify, Object.keys and spreads ignore. The policy's JSON is
// written with the slots' texts in place by json-writer.ts (`rawTextsOf`); `inputJsonText` is the
// same through JSON.stringify (undefined without slots), kept as the reference the writer is
// proven against (test/authz/input-json.test.ts). Pure, apart from one random
// nonce per process that keeps request data from forging a slot marker.
import { randomBytes } from "node:crypto";

export interface RawJsonSlot {
  /** The object or array that holds the value in the input. */
  holder: object;
  /** Its key in the holder (an array index as a decimal string). */
  key: string;
  /** Valid JSON text of the value, digits as the request had them. */
  text: string;
}

const SLOTS = Symbol("meshward.rawJsonSlots");
const MARKER = `\u0000mw-raw-${randomBytes(12).toString("hex")}:`;
/** The marker as JSON.stringify writes it inside a string, then the slot index. */
const MARKER_IN_JSON = new RegExp(`"${JSON.stringify(MARKER).slice(1, -1).replace(/\\/g, "\\\\")}(\\d+)"`, "g");

type WithSlots = { [SLOTS]?: RawJsonSlot[] };

export function addRawJsonSlots(input: object, slots: readonly RawJsonSlot[]): void {
  if (slots.length === 0) return;
  const target = input as WithSlots;
  target[SLOTS] = [...(target[SLOTS] ?? []), ...slots];
}

export function rawJsonSlots(input: object): readonly RawJsonSlot[] {
  return (input as WithSlots)[SLOTS] ?? [];
}

/** The input as JSON text with every slot's text in place, or undefined when it has no slot. */
export function inputJsonText(input: object): string | undefined {
  const slots = (input as WithSlots)[SLOTS];
  if (!slots || slots.length === 0) return undefined;
  const byHolder = new Map<object, Map<string, number>>();
  slots.forEach((slot, index) => {
    const keys = byHolder.get(slot.holder) ?? new Map<string, number>();
    byHolder.set(slot.holder, keys);
    keys.set(slot.key, index);
  });
  const text = JSON.stringify(input, function (this: object, key: string, value: unknown) {
    const index = byHolder.get(this)?.get(key);
    return index === undefined ? value : `${MARKER}${index}`;
  });
  return text.replace(MARKER_IN_JSON, (_match, index: string) => (slots[Number(index)] as RawJsonSlot).text);
}
