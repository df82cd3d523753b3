import * as vscode from 'vscode';

// The palette's quick picks and input boxes answered by a test, in order, while a command runs: the command's own
// code builds every box (its items, its validateInput, whether it is a password box), and the test answers as a user
// would, checking each box's options first. Error notifications the command shows are collected too.

/** A quick pick's item with the fields the command puts on it (an id, a kind). */
export type Item = vscode.QuickPickItem & Record<string, unknown>;

export type Step =
  | { pick: (items: readonly Item[], options: vscode.QuickPickOptions | undefined) => Item | undefined }
  | { input: string; check?: (options: vscode.InputBoxOptions) => void | Promise<void> };

export interface Answered<T> {
  result: T | undefined;
  /** Every input box the command opened, in order. */
  boxes: vscode.InputBoxOptions[];
  /** The error notifications it showed. */
  errors: string[];
}

// The three functions as this file calls them (vscode's overloads say the same for these uses).
type Window = {
  showQuickPick: (items: readonly Item[] | Thenable<readonly Item[]>, options?: vscode.QuickPickOptions) => Thenable<Item | undefined>;
  showInputBox: (options?: vscode.InputBoxOptions) => Thenable<string | undefined>;
  showErrorMessage: (message: string) => Thenable<string | undefined>;
};

export async function answering<T>(steps: Step[], run: () => Thenable<T | undefined>): Promise<Answered<T>> {
  const window = vscode.window as unknown as Window;
  const original = { showQuickPick: window.showQuickPick, showInputBox: window.showInputBox, showErrorMessage: window.showErrorMessage };
  const queue = [...steps];
  const boxes: vscode.InputBoxOptions[] = [];
  const errors: string[] = [];
  const next = (what: 'pick' | 'input'): Step => {
    const step = queue.shift();
    if (!step || !(what in step)) throw new Error(`the command opened ${what === 'pick' ? 'a quick pick' : 'an input box'} where the test expected ${step ? Object.keys(step)[0] : 'nothing more'}`);
    return step;
  };
  window.showQuickPick = async (items, options) => {
    const step = next('pick') as Extract<Step, { pick: unknown }>;
    return step.pick(await items, options);
  };
  window.showInputBox = async (options) => {
    const step = next('input') as Extract<Step, { input: unknown }>;
    boxes.push(options ?? {});
    await step.check?.(options ?? {});
    return step.input;
  };
  window.showErrorMessage = (message) => (errors.push(message), Promise.resolve(undefined));
  try {
    const result = await run();
    if (queue.length > 0) throw new Error(`the command finished with ${queue.length} answer(s) of the test unasked; errors shown: ${errors.join(' | ') || 'none'}`);
    return { result, boxes, errors };
  } finally {
    Object.assign(window, original);
  }
}

/** What a box's validateInput says about a value (null: accepted). */
export async function verdict(options: vscode.InputBoxOptions, value: string): Promise<string | null | undefined> {
  const v = await options.validateInput?.(value);
  return typeof v === 'object' && v !== null ? v.message : v;
}
