/** The settings of stored files (read from the environment in config.ts). */
export interface S3Config {
  /** S3_ENDPOINT: an S3-compatible server's address; unset for AWS itself. */
  endpoint: string | null;
  /** S3_REGION. Default us-east-1. */
  region: string;
  /** S3_BUCKET (required with FILE_STORAGE=s3). */
  bucket: string;
  /** S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY; unset: the AWS SDK's own credential chain. */
  accessKeyId: string | null;
  secretAccessKey: string | null;
  /** S3_FORCE_PATH_STYLE=1: bucket in the path (most self-hosted S3-compatible servers). */
  forcePathStyle: boolean;
  /** S3_PREFIX: prefix of every key Parley writes. Default "parley/". */
  prefix: string;
}

export interface FilesConfig {
  /**
   * FILE_STORAGE: "local" (default: a folder on this machine, FILE_DIR) or "s3" (S3-compatible
   * object storage, S3_*). Cluster mode refuses "local": another node could not read the files.
   */
  storage: 'local' | 's3';
  /** FILE_DIR: the local storage's folder. Default data/files (beside the SQLite file). */
  localDir: string;
  s3: S3Config | null;
  /** FILE_URL_TTL_MINUTES: how long a signed download URL works. Default 15. */
  urlTtlMs: number;
  /** FILE_QUOTA_MB_PER_DAY: bytes one user may upload per 24 hours. Default 100. */
  dailyQuotaBytes: number;
  /** FILE_ORPHAN_HOURS: a stored file no message refers to is removed after this long. Default 24. */
  orphanGraceMs: number;
  /** FILE_CLEANUP_MINUTES: how often orphans and abandoned uploads are looked for. Default 15. */
  cleanupEveryMs: number;
}
