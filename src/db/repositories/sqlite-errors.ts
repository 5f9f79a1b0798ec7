/** Recognizes better-sqlite3's constraint failures by their extended result code. */
export function isSqliteError(
  error: unknown,
  code:
    'SQLITE_CONSTRAINT_FOREIGNKEY' | 'SQLITE_CONSTRAINT_PRIMARYKEY' | 'SQLITE_CONSTRAINT_UNIQUE',
): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === code;
}
