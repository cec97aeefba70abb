// Preloaded into a server under test (NODE_OPTIONS=--import, since --cpu-prof is not allowed
// there): profiles the whole process and writes CPU_PROFILE_DIR/server-<pid>.cpuprofile on exit.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const session = new Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 500 });
session.post('Profiler.start');
process.once('exit', () => {
  // Same-thread sessions answer synchronously, so this runs before the process is gone.
  session.post('Profiler.stop', (error, result) => {
    if (!error)
      writeFileSync(
        join(process.env.CPU_PROFILE_DIR ?? '.', `server-${process.pid}.cpuprofile`),
        JSON.stringify(result.profile),
      );
  });
});
