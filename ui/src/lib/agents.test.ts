// The agent switcher against mocked Tauri IPC: the commands and argument shapes the
// shell expects, the pinned fingerprint shown after adding, errors as the shell words
// them, switching then reloading, and nothing at all with the HTTP transport.
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AgentList, RemoteAgent } from './agents';

beforeAll(() => {
  // The mocks and the transport expect a browser `window`.
  (globalThis as unknown as { window: unknown }).window = globalThis;
});

afterEach(async () => {
  (await import('@tauri-apps/api/mocks')).clearMocks();
  vi.unstubAllGlobals();
});

const FP = 'AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89';
const nas: RemoteAgent = { name: 'nas', url: 'https://nas.local:8421', fingerprint: FP };

type Handler = (args: Record<string, unknown>) => unknown;

/** Mocks the shell: `handlers` per command (default: agents_list answers `list`). */
async function shell(list: AgentList, handlers: Record<string, Handler> = {}) {
  const { mockIPC } = await import('@tauri-apps/api/mocks');
  const calls: [string, unknown][] = [];
  mockIPC((cmd, args) => {
    calls.push([cmd, args]);
    const handler = handlers[cmd];
    if (handler) return handler((args ?? {}) as Record<string, unknown>);
    if (cmd === 'agents_list') return list;
    return null;
  });
  return calls;
}

describe('Agents', () => {
  it('lists this computer and the remote agents', async () => {
    const calls = await shell({ current: null, remotes: [nas] });
    const { Agents, currentLabel } = await import('./agents');
    const agents = new Agents('tauri');
    const seen: unknown[] = [];
    agents.onChange((s) => seen.push(s));
    expect(agents.state.available).toBe(true);
    await agents.load();
    expect(calls).toEqual([['agents_list', {}]]);
    expect(agents.state).toMatchObject({ loaded: true, current: null, remotes: [nas], error: null });
    expect(currentLabel(agents.state)).toBe('This computer');
    expect(seen).toHaveLength(1);

    await shell({ current: 'nas', remotes: [nas] });
    await agents.load();
    expect(currentLabel(agents.state)).toBe('nas');
  });

  it('shows why the list could not load', async () => {
    await shell({ current: null, remotes: [] }, {
      agents_list: () => Promise.reject({ code: 'unavailable', message: 'remote agents are kept in the data dir' }),
    });
    const { Agents } = await import('./agents');
    const agents = new Agents('tauri');
    await agents.load();
    expect(agents.state).toMatchObject({ loaded: true, error: 'remote agents are kept in the data dir', remotes: [] });
  });

  it('adds an agent, shows the pinned fingerprint, and does not switch', async () => {
    const reload = vi.fn();
    const calls = await shell({ current: null, remotes: [] }, { agent_add: () => nas });
    const { Agents } = await import('./agents');
    const agents = new Agents('tauri', { reload });
    await agents.load();
    const result = await agents.add({ name: ' nas ', url: 'https://nas.local:8421 ', token: 'tok\n', fingerprint: '  ' });
    expect(calls[1]).toEqual(['agent_add', { agent: { name: 'nas', url: 'https://nas.local:8421', token: 'tok' } }]);
    expect(result).toEqual({
      ok: true,
      agent: nas,
      message: `Pinned certificate SHA256 ${FP}; check that coffer serve --print-token on that machine shows the same.`,
    });
    expect(agents.state.remotes).toEqual([nas]);
    expect(agents.state.current).toBeNull();
    expect(calls.some(([cmd]) => cmd === 'agent_use')).toBe(false);
    expect(reload).not.toHaveBeenCalled();
  });

  it('sends a given fingerprint and replaces an agent of the same name', async () => {
    const moved = { ...nas, url: 'https://10.0.0.2:8421' };
    const calls = await shell({ current: null, remotes: [nas] }, { agent_add: () => moved });
    const { Agents } = await import('./agents');
    const agents = new Agents('tauri');
    await agents.load();
    const result = await agents.add({ name: 'nas', url: moved.url, token: 't', fingerprint: FP });
    expect(calls[1][1]).toEqual({ agent: { name: 'nas', url: moved.url, token: 't', fingerprint: FP } });
    expect(result.ok).toBe(true);
    expect(agents.state.remotes).toEqual([moved]);
  });

  it('gives the shell’s errors as they come, and checks the form first', async () => {
    const errors = [
      { code: 'unauthorized', message: 'https://nas.local:8421 refused the token' },
      { code: 'certificate_changed', message: `certificate changed: expected ${FP}, got 11:22:33` },
      { code: 'unreachable', message: 'cannot reach https://nope.local:8421: connection refused' },
      { code: 'invalid', message: 'remote agent name: `a b`: use 1 to 64 letters, digits, `-`, `_` and `.`' },
    ];
    let next = 0;
    const calls = await shell({ current: null, remotes: [] }, { agent_add: () => Promise.reject(errors[next++]) });
    const { Agents, draftProblem } = await import('./agents');
    const agents = new Agents('tauri');
    for (const e of errors) {
      const result = await agents.add({ name: 'nas', url: 'https://nas.local:8421', token: 't' });
      expect(result).toEqual({ ok: false, error: e.message });
    }
    expect(agents.state.remotes).toEqual([]);
    expect(calls).toHaveLength(errors.length);

    // Refused before asking the shell.
    expect(await agents.add({ name: 'a b', url: 'https://x', token: 't' })).toMatchObject({ ok: false, error: expect.stringContaining('letters, digits') });
    expect(draftProblem({ name: '', url: 'https://x', token: 't' })).toMatch(/name/);
    expect(draftProblem({ name: 'x', url: ' ', token: 't' })).toMatch(/URL/);
    expect(draftProblem({ name: 'x', url: 'https://x', token: '' })).toMatch(/token/);
    expect(draftProblem({ name: 'nas-2_b.local', url: 'https://x', token: 't' })).toBeNull();
    expect(draftProblem({ name: 'x'.repeat(65), url: 'https://x', token: 't' })).not.toBeNull();
    expect(calls).toHaveLength(errors.length);
  });

  it('switches with agent_use, then reloads the window', async () => {
    const order: string[] = [];
    const calls = await shell({ current: null, remotes: [nas] }, {
      agent_use: () => {
        order.push('agent_use');
        return null;
      },
    });
    vi.stubGlobal('location', { reload: () => order.push('reload') });
    const { Agents } = await import('./agents');
    const agents = new Agents('tauri');
    await agents.load();
    expect(await agents.use('nas')).toBeNull();
    expect(calls[1]).toEqual(['agent_use', { name: 'nas' }]);
    expect(order).toEqual(['agent_use', 'reload']);
    expect(agents.state.busy).toBe(true); // until the window reloads

    // Back to this computer: name null.
    await shell({ current: 'nas', remotes: [nas] });
    const again = new Agents('tauri', { reload: () => order.push('reload 2') });
    await again.load();
    await again.use(null);
    expect(order).toEqual(['agent_use', 'reload', 'reload 2']);
  });

  it('does not reload when the switch fails, nor for the agent already shown', async () => {
    const reload = vi.fn();
    const calls = await shell({ current: 'nas', remotes: [nas] }, {
      agent_use: () => Promise.reject({ code: 'not_found', message: 'the token of `nas` is not in the keychain' }),
    });
    const { Agents } = await import('./agents');
    const agents = new Agents('tauri', { reload });
    await agents.load();
    expect(await agents.use('nas')).toBeNull();
    expect(calls).toHaveLength(1);
    expect(await agents.use(null)).toBe('the token of `nas` is not in the keychain');
    expect(reload).not.toHaveBeenCalled();
    expect(agents.state.busy).toBe(false);
  });

  it('removes an agent; removing the one in use reloads on this computer', async () => {
    const reload = vi.fn();
    const other = { name: 'pi', url: 'https://pi.local:8421', fingerprint: null };
    const calls = await shell({ current: 'nas', remotes: [nas, other] });
    const { Agents, pinnedMessage } = await import('./agents');
    const agents = new Agents('tauri', { reload });
    await agents.load();
    expect(await agents.remove('pi')).toBeNull();
    expect(calls[1]).toEqual(['agent_remove', { name: 'pi' }]);
    expect(agents.state.remotes).toEqual([nas]);
    expect(reload).not.toHaveBeenCalled();
    expect(await agents.remove('nas')).toBeNull();
    expect(agents.state).toMatchObject({ current: null, remotes: [] });
    expect(reload).toHaveBeenCalledOnce();
    expect(pinnedMessage(null)).toMatch(/No certificate pinned/);
  });

  it('is hidden with the HTTP transport: no command is sent', async () => {
    const calls = await shell({ current: null, remotes: [nas] });
    const { Agents } = await import('./agents');
    const { CofferApi } = await import('./api');
    const { HttpTransport } = await import('./transport-http');
    const api = new CofferApi(new HttpTransport());
    const reload = vi.fn();
    const agents = new Agents(api.transport.kind, { reload });
    expect(agents.state.available).toBe(false);
    await agents.load();
    expect(agents.state.loaded).toBe(false);
    expect((await agents.add({ name: 'nas', url: 'https://x', token: 't' })).ok).toBe(false);
    expect(await agents.use('nas')).not.toBeNull();
    expect(await agents.remove('nas')).not.toBeNull();
    expect(calls).toEqual([]);
    expect(reload).not.toHaveBeenCalled();
  });
});
