// App-wide state: the API client, profiles, buckets, where the browser is, history.

import { createApi } from './api';
import { Backups } from './backups.svelte';
import { BucketIndexes } from './bucket-index.svelte';
import { toApiError } from './errors';
import * as nav from './history';
import { Jobs } from './jobs.svelte';
import { markListClick } from './perf';
import { Replication } from './replication.svelte';
import { toasts } from './toasts.svelte';
import { Transfers } from './transfers.svelte';
import type { BucketInfo, Profile } from './types';

export type View = 'browser' | 'jobs' | 'shares' | 'backups' | 'replication' | 'profiles' | 'settings';

const LAST_PROFILE = 'coffer.profile';

function remembered(): string {
  try {
    return localStorage.getItem(LAST_PROFILE) ?? 'local';
  } catch {
    return 'local';
  }
}

class App {
  readonly api = createApi();
  readonly transfers = new Transfers(this.api);
  readonly jobs = new Jobs(this.api);
  readonly backups = new Backups(this.api);
  readonly replication = new Replication(this.api);
  /** The local index of each bucket, as this session knows it. */
  readonly indexes = new BucketIndexes(this.api);

  view = $state<View>('browser');
  profiles = $state.raw<Profile[]>([]);
  profile = $state(remembered());
  buckets = $state.raw<BucketInfo[]>([]);
  bucketsLoading = $state(false);
  bucketsError = $state<string | null>(null);
  history = $state.raw<nav.History>(nav.emptyHistory);
  get location(): nav.Location | undefined {
    return nav.current(this.history);
  }
  get canBack(): boolean {
    return nav.canBack(this.history);
  }
  get canForward(): boolean {
    return nav.canForward(this.history);
  }

  /** Loads profiles, picks the remembered one (else `local`), lists its buckets. */
  async init(): Promise<void> {
    await this.loadProfiles();
    const names = this.profiles.map((p) => p.name);
    const pick = names.includes(this.profile) ? this.profile : names.includes('local') ? 'local' : names[0];
    if (pick) await this.selectProfile(pick);
  }

  async loadProfiles(): Promise<void> {
    try {
      this.profiles = await this.api.listProfiles();
    } catch (e) {
      if (toApiError(e).code !== 'unauthorized') toasts.error(e, 'Cannot list profiles');
    }
  }

  async selectProfile(name: string): Promise<void> {
    this.profile = name;
    try {
      localStorage.setItem(LAST_PROFILE, name);
    } catch {
      /* not remembered */
    }
    this.history = nav.push(this.history, { profile: name, bucket: null, prefix: '' });
    await this.loadBuckets();
  }

  async loadBuckets(): Promise<void> {
    const profile = this.profile;
    this.bucketsLoading = true;
    this.bucketsError = null;
    try {
      const buckets = await this.api.listBuckets(profile);
      if (profile === this.profile) this.buckets = buckets;
    } catch (e) {
      if (profile === this.profile) {
        this.buckets = [];
        this.bucketsError = toApiError(e).message;
      }
    } finally {
      if (profile === this.profile) this.bucketsLoading = false;
    }
  }

  /** Opens a bucket or folder (a user action: it starts the first-page clock). */
  open(bucket: string | null, prefix = ''): void {
    markListClick();
    this.view = 'browser';
    this.history = nav.push(this.history, { profile: this.profile, bucket, prefix });
  }

  back(): void {
    markListClick();
    this.go(nav.back(this.history));
  }

  forward(): void {
    markListClick();
    this.go(nav.forward(this.history));
  }

  private go(history: nav.History): void {
    const loc = nav.current(history);
    this.history = history;
    if (loc && loc.profile !== this.profile) {
      this.profile = loc.profile;
      void this.loadBuckets();
    }
  }
}

export const app = new App();
