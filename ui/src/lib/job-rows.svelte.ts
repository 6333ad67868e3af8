// The row actions a job list offers (Jobs page, Backups page): buttons, the enable
// switch, the schedule dialog and the remove confirmation, over one jobs store. Ids
// are kept rather than jobs, so the dialogs see the job as events change it.

import type { JobButton } from './jobs';
import type { Jobs } from './jobs.svelte';
import { toasts } from './toasts.svelte';
import type { Job, JobChange } from './types';

export class JobRows {
  editingId = $state<string | null>(null);
  removingId = $state<string | null>(null);
  editing: Job | null;
  removing: Job | null;
  private readonly jobs: Jobs;

  constructor(jobs: Jobs) {
    this.jobs = jobs;
    this.editing = $derived(this.editingId ? (jobs.jobs.get(this.editingId) ?? null) : null);
    this.removing = $derived(this.removingId ? (jobs.jobs.get(this.removingId) ?? null) : null);
  }

  press(job: Job, button: JobButton) {
    if (button === 'remove') this.removingId = job.id;
    else void this.jobs.act(job, button);
  }

  async toggle(job: Job, input: HTMLInputElement) {
    await this.jobs.setEnabled(job, input.checked);
    // A refused change puts the switch back.
    input.checked = (this.jobs.jobs.get(job.id) ?? job).enabled;
  }

  async saveSchedule(job: Job, change: JobChange) {
    await this.jobs.update(job, change);
    this.editingId = null;
    toasts.show(`Schedule of ${job.name} saved.`);
  }

  async remove() {
    const job = this.removing;
    if (!job) return;
    try {
      await this.jobs.remove(job);
      this.removingId = null;
      toasts.show(`Removed ${job.name}.`);
    } catch (e) {
      toasts.error(e, `Cannot remove ${job.name}`);
    }
  }
}
