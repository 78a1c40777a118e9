import type { ServerContext } from "./context.ts";
import { HttpError } from "./errors.ts";

/** What a slot reports of the last task it ran (llama-server keeps it after the task ends). */
export interface SlotTask {
  readonly idTask: number;
  /** The task's sampling parameters, in the short form of server/props.ts taskParams(). */
  readonly params: Record<string, unknown>;
  readonly hasNextToken: boolean;
  readonly hasNewLine: boolean;
  /** Tokens left to generate; -1 for an unlimited request. */
  readonly nRemain: number;
  readonly nDecoded: number;
}

export interface SlotState {
  readonly id: number;
  readonly nCtx: number;
  readonly isProcessing: boolean;
  /** Absent until the slot has served a task. */
  readonly task?: SlotTask;
}

/**
 * The slots as /slots and /props see them: the server's SlotPool (server/slot-pool.ts) with its
 * live tasks, or, for a context built without one (tests), `total` idle slots.
 */
export interface SlotView {
  /** -np after llama-server's resolution (4 by default). */
  readonly total: number;
  /** Context size of each slot (see cli.ts slotContextSize). */
  readonly nCtx: number;
  states(): readonly SlotState[];
}

/** `total` slots that never run anything. */
export function idleSlots(total: number, nCtx: number): SlotView {
  const states: readonly SlotState[] = Array.from({ length: total }, (_, id) => ({ id, nCtx, isProcessing: false }));
  return { total, nCtx, states: () => states };
}

/** llama-server's defaults: -np auto (4 slots) sharing the default 8192-token context (unified KV cache). */
export const DEFAULT_SLOTS: SlotView = idleSlots(4, 8192);

export const slotsOf = (ctx: ServerContext): SlotView => ctx.slots ?? DEFAULT_SLOTS;

/** One slot in server_slot::to_json's key order; `prompt` and `generated` only exist in its debug mode. */
function slotJson(slot: SlotState): Record<string, unknown> {
  const json: Record<string, unknown> = { id: slot.id, n_ctx: slot.nCtx, speculative: false, is_processing: slot.isProcessing };
  if (slot.task) {
    json.id_task = slot.task.idTask;
    json.params = slot.task.params;
    // An array of one object in the code, whatever the README shows.
    json.next_token = [
      { has_next_token: slot.task.hasNextToken, has_new_line: slot.task.hasNewLine, n_remain: slot.task.nRemain, n_decoded: slot.task.nDecoded },
    ];
  }
  return json;
}

/** GET /slots: 501 when disabled (--no-slots); with `?fail_on_no_slot=<anything>`, 503 when no slot is idle. */
export function slotsBody(slots: SlotView, enabled: boolean, url: string): string {
  if (!enabled) throw new HttpError(501, "not_supported_error", "This server does not support slots endpoint. Start it with `--slots`");
  const states = slots.states();
  const failOnNoSlot = new URL(url).searchParams.get("fail_on_no_slot");
  if (failOnNoSlot && states.every((s) => s.isProcessing)) throw new HttpError(503, "unavailable_error", "no slot available");
  return JSON.stringify(states.map(slotJson));
}
