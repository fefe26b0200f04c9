import { execFile } from 'node:child_process';
import { UserError } from '../user-error';

/**
 * Copies the bundled `trackside.py` into an interpreter's own search path, so `import trackside`
 * works where Trackside's launcher and terminals do not reach: Jupyter kernels, other terminals,
 * cron jobs. A virtual environment gets it in its site-packages; any other interpreter in the user's
 * site-packages (`python -m site --user-site`), which needs no pip, no network and no root, and which
 * an externally managed system Python (PEP 668) accepts.
 */
const INSTALL_SCRIPT = `
import os, shutil, site, sys, sysconfig
source = os.path.join(sys.argv[1], "trackside.py")
in_venv = sys.prefix != getattr(sys, "base_prefix", sys.prefix)
target = sysconfig.get_paths()["purelib"] if in_venv or not site.ENABLE_USER_SITE else site.getusersitepackages()
os.makedirs(target, exist_ok=True)
shutil.copyfile(source, os.path.join(target, "trackside.py"))
print(target)
`;

export interface InstalledClient {
  /** The folder `trackside.py` was copied into. */
  target: string;
}

export class PythonClientInstallError extends UserError {
  constructor(interpreter: string, detail: string) {
    super(
      `could not install the Trackside Python client into ${interpreter}: ${detail}. ` +
        'Check that the interpreter runs, or choose another one (Python: Select Interpreter)',
    );
    this.name = 'PythonClientInstallError';
  }
}

export function installPythonClient(
  interpreter: string,
  clientDir: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<InstalledClient> {
  return new Promise((resolve, reject) => {
    execFile(interpreter, ['-c', INSTALL_SCRIPT, clientDir], { env, timeout: 30_000 }, (error, stdout, stderr) => {
      const target = stdout.trim().split('\n').pop() ?? '';
      if (error || !target) {
        const detail = stderr.trim().split('\n').pop() || (error?.message ?? 'it printed nothing');
        reject(new PythonClientInstallError(interpreter, detail));
        return;
      }
      resolve({ target });
    });
  });
}
