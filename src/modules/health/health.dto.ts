export class LivenessDto {
  /** Always `ok` while the process runs. */
  status!: 'ok';
}

export class ReadinessDto {
  /** `ok` when every dependency answers. */
  status!: 'ok';
  /** Each dependency and whether it answered: `up` or `down`. */
  checks!: Record<string, 'up' | 'down'>;
}
