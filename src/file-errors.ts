/** What a system error code means to someone who named the file. */
const SYSTEM_REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
  EROFS: 'the file system is read-only',
  ENOSPC: 'the disk is full',
  EIO: 'an input/output error (a failing disk?)',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the name is too long',
  ENOTDIR: 'a part of the path is not a directory',
  EMFILE: 'too many open files',
};

/**
 * Why a file could not be read or written (`writing`), in words: `no such file`, `permission
 * denied`, `its directory does not exist`; not Node's message, which names the call
 * (`ENOENT: no such file or directory, open '...'`) and repeats the path, resolved or not.
 */
export function fileErrorReason(error: unknown, { writing = false } = {}): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
  // Writing creates the file: what is missing is the directory it goes in.
  if (writing && code === 'ENOENT') return 'its directory does not exist';
  return SYSTEM_REASONS[code] ?? `a system error (${code || 'unknown'})`;
}
