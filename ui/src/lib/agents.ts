// The desktop app's agent switcher: the window shows "This computer" or a remote Coffer
// agent (`coffer serve --tls` on another machine), through the shell's `agents_list`,
// `agent_add`, `agent_remove` and `agent_use` commands. In a browser the page is
// already served by one agent: there is nothing to switch.

import { describeError } from './errors';
import type { Transport } from './transport';
import { command } from './transport-tauri';

/** A remote agent the user added. */
export interface RemoteAgent {
  name: string;
  /** `https://host:port`. */
  url: string;
  /** The SHA-256 fingerprint of its certificate, pinned on first use (null: plain
   * HTTP on this machine). */
  fingerprint: string | null;
}

/** `agents_list`: the agent in use (null: this computer) and the remote ones. */
export interface AgentList {
  current: string | null;
  remotes: RemoteAgent[];
}

/** `agent_add`'s `agent`: the token is checked against the agent before it is kept. */
export interface NewAgent {
  name: string;
  url: string;
  token: string;
  /** The expected fingerprint; without it the one the agent shows is pinned. */
  fingerprint?: string;
}

export const THIS_COMPUTER = 'This computer';

/** Why a remote agent's name is refused (the shell's rule), or null. */
export function agentNameProblem(name: string): string | null {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) {
    return 'Use 1 to 64 letters, digits, "-", "_" and ".".';
  }
  return null;
}

/** What is missing or wrong in the add form, or null. */
export function draftProblem(draft: NewAgent): string | null {
  const name = draft.name.trim();
  if (!name) return 'Enter a name for the agent.';
  const bad = agentNameProblem(name);
  if (bad) return `Name "${name}": ${bad}`;
  if (!draft.url.trim()) return 'Enter the agent\u2019s URL, like https://nas.local:8421.';
  if (!draft.token.trim()) return 'Enter the agent\u2019s API token (coffer serve --print-token there).';
  return null;
}

/** What to tell the user once an agent is added. */
export function pinnedMessage(fingerprint: string | null): string {
  if (!fingerprint) return 'No certificate pinned: the agent is reached over plain HTTP on this machine.';
  return `Pinned certificate SHA256 ${fingerprint}; check that coffer serve --print-token on that machine shows the same.`;
}

/** The name of the agent the window shows. */
export function currentLabel(list: Pick<AgentList, 'current'>): string {
  return list.current ?? THIS_COMPUTER;
}

export interface AgentsState {
  /** Whether there is anything to switch (the desktop app only). */
  available: boolean;
  loaded: boolean;
  current: string | null;
  remotes: RemoteAgent[];
  /** Why the list could not load. */
  error: string | null;
  /** A switch or a removal is under way. */
  busy: boolean;
}

export type AddResult = { ok: true; agent: RemoteAgent; message: string } | { ok: false; error: string };

export interface AgentsOptions {
  /** Called once the shell points at another agent (default: `location.reload()`). */
  reload?: () => void;
}

function cleanDraft(draft: NewAgent): NewAgent {
  const agent: NewAgent = { name: draft.name.trim(), url: draft.url.trim(), token: draft.token.trim() };
  const fingerprint = draft.fingerprint?.trim();
  if (fingerprint) agent.fingerprint = fingerprint;
  return agent;
}

/** The switcher's state and calls; `onChange` hears every new state. */
export class Agents {
  private current_: AgentsState;
  private readonly listeners = new Set<(state: AgentsState) => void>();
  private readonly reload: () => void;

  constructor(kind: Transport['kind'], options: AgentsOptions = {}) {
    this.current_ = {
      available: kind === 'tauri',
      loaded: false,
      current: null,
      remotes: [],
      error: null,
      busy: false,
    };
    this.reload = options.reload ?? (() => location.reload());
  }

  get state(): AgentsState {
    return this.current_;
  }

  onChange(listener: (state: AgentsState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private set(patch: Partial<AgentsState>): void {
    this.current_ = { ...this.current_, ...patch };
    for (const listener of this.listeners) listener(this.current_);
  }

  /** `agents_list` (nothing in a browser). */
  async load(): Promise<void> {
    if (!this.current_.available) return;
    try {
      const list = await command<AgentList>('agents_list');
      this.set({ loaded: true, current: list.current ?? null, remotes: list.remotes ?? [], error: null });
    } catch (e) {
      this.set({ loaded: true, error: describeError(e) });
    }
  }

  /** `agent_add`: checks the token, pins the certificate, and lists the agent (it
   * does not switch to it). Errors come back as the shell words them. */
  async add(draft: NewAgent): Promise<AddResult> {
    if (!this.current_.available) return { ok: false, error: 'Remote agents are for the desktop app.' };
    const problem = draftProblem(draft);
    if (problem) return { ok: false, error: problem };
    try {
      const agent = await command<RemoteAgent>('agent_add', { agent: cleanDraft(draft) });
      const remotes = this.current_.remotes.filter((r) => r.name !== agent.name);
      remotes.push(agent);
      this.set({ remotes });
      return { ok: true, agent, message: pinnedMessage(agent.fingerprint ?? null) };
    } catch (e) {
      return { ok: false, error: describeError(e) };
    }
  }

  /** `agent_remove`; removing the agent in use goes back to this computer (and
   * reloads the window). Returns why it failed, or null. */
  async remove(name: string): Promise<string | null> {
    if (!this.current_.available) return 'Remote agents are for the desktop app.';
    const wasCurrent = this.current_.current === name;
    this.set({ busy: true });
    try {
      await command<null>('agent_remove', { name });
    } catch (e) {
      this.set({ busy: false });
      return describeError(e);
    }
    this.set({
      busy: false,
      remotes: this.current_.remotes.filter((r) => r.name !== name),
      current: wasCurrent ? null : this.current_.current,
    });
    if (wasCurrent) this.reload();
    return null;
  }

  /** `agent_use` (null: this computer), then reloads the window so every view and the
   * event subscription start over against that agent. Returns why it failed, or null. */
  async use(name: string | null): Promise<string | null> {
    if (!this.current_.available) return 'Remote agents are for the desktop app.';
    if (name === this.current_.current) return null;
    this.set({ busy: true });
    try {
      await command<null>('agent_use', { name });
    } catch (e) {
      this.set({ busy: false });
      return describeError(e);
    }
    this.reload();
    return null;
  }
}
