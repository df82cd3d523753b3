import assert from 'node:assert/strict';
import { agentUser, passwdEntry } from '../../../src/sandbox/docker/account';

// Who a sandbox whose image would run it as root runs as instead: the image's own `agent`, or a new one.

const PASSWD = 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n';
const GROUP = 'root:x:0:\ndaemon:x:1:\n';

describe('sandbox-docker: the sandbox user', () => {
  it('uses the image\'s agent when it has one', () => {
    const who = agentUser({ passwd: `${PASSWD}agent:x:1000:1000::/home/agent:/bin/bash\n`, group: `${GROUP}agent:x:1000:\n` });
    assert.deepEqual(who, { user: 'agent', uid: 1000, gid: 1000, home: '/home/agent', account: null });
  });

  it('adds agent on uid and gid 1000 when they are free', () => {
    const who = agentUser({ passwd: PASSWD, group: GROUP });
    assert.deepEqual(who, {
      user: 'agent',
      uid: 1000,
      gid: 1000,
      home: '/home/agent',
      account: { passwd: 'agent:x:1000:1000:Hangar agent:/home/agent:/bin/sh', group: 'agent:x:1000:' },
    });
  });

  it('skips ids other users or groups hold, and joins an existing agent group', () => {
    const taken = agentUser({ passwd: `${PASSWD}node:x:1000:1000::/home/node:/bin/sh\n`, group: `${GROUP}node:x:1000:\nstaff:x:1001:\n` });
    assert.equal(taken.uid, 1002);
    assert.equal(taken.gid, 1002);
    const joined = agentUser({ passwd: PASSWD, group: `${GROUP}agent:x:4242:\n` });
    assert.equal(joined.gid, 4242);
    assert.deepEqual(joined.account, { passwd: 'agent:x:1000:4242:Hangar agent:/home/agent:/bin/sh', group: null });
  });

  it('works for an image without /etc/passwd, and refuses an agent that is root', () => {
    assert.equal(agentUser({ passwd: '', group: '' }).uid, 1000);
    assert.throws(() => agentUser({ passwd: 'agent:x:0:0::/root:/bin/sh\n', group: '' }), /agent is root.*remoteUser/);
  });

  it('finds passwd entries by name or uid', () => {
    assert.deepEqual(passwdEntry(PASSWD, 'daemon'), { uid: 1, gid: 1, home: '/usr/sbin' });
    assert.deepEqual(passwdEntry(PASSWD, '0'), { uid: 0, gid: 0, home: '/root' });
    assert.equal(passwdEntry(PASSWD, 'nobody'), null);
  });
});
