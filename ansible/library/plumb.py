#!/usr/bin/python
# -*- coding: utf-8 -*-
# Plumb's Ansible module: drives the `plumb` CLI on the managed host. The CLI does the work
# (plan, apply with rollback, verify, destroy); this module only maps its exit codes and JSON
# onto Ansible's changed/ok/failed, check mode and diff mode.

DOCUMENTATION = r'''
---
module: plumb
short_description: Converge a host's container networking to a Plumb manifest
description:
  - Runs the C(plumb) CLI on the managed host to make its network namespaces, veth pairs,
    bridges, addresses, routes, NAT, SR-IOV VFs and NIC tuning match a Plumb manifest, and
    to verify each container's receive path with a real packet.
  - With I(state=present) it plans first; when the kernel already matches the manifest
    nothing is applied (the task is C(ok)) and the verification report is still returned.
    Otherwise it runs C(plumb apply), which rolls back every change if any step fails.
  - With I(state=absent) it runs C(plumb destroy), which removes only what Plumb created
    for this manifest and restores what it changed.
  - Check mode never changes the kernel. For I(state=present) it runs
    C(plumb plan --detailed-exitcode) and reports C(changed) when changes are pending;
    verification is not run (it creates a short-lived namespace to probe from).
    For I(state=absent) it reports C(changed) when Plumb holds an ownership record for
    the manifest.
  - Diff mode shows the plan's steps, each as the C(ip)/C(nft) command it equals.
version_added: "0.1.0"
author: Plumb contributors
requirements:
  - the C(plumb) binary on the managed host
  - root on the managed host (C(become=true))
options:
  manifest:
    description:
      - Path of the manifest (YAML or JSON) on the managed host.
      - A manifest without C(name:) is identified by its file's absolute path, so keep the
        path stable between runs (see the README's Ownership section).
      - Or a directory of manifests (every C(*.yaml), C(*.yml), C(*.json) in it, in name
        order, each its own transaction), with a C(plumb) that takes one. In check mode, and
        before anything is applied, a manifest there that C(plumb plan) refuses fails the task;
        when one fails to apply, the others stay applied and the task fails naming it.
        C(plan), C(verify) and C(record) are then lists, one entry per manifest.
    type: path
    required: true
  state:
    description:
      - C(present) makes the kernel match the manifest; C(absent) removes what Plumb made for it.
    type: str
    choices: [present, absent]
    default: present
  binary:
    description:
      - The C(plumb) executable, a path or a name looked up on the managed host's C(PATH).
    type: str
    default: plumb
  allow_disruptive:
    description:
      - Allow changes that destroy live VFs (a VF count change between two non-zero counts
        passes through 0). Passes C(--allow-disruptive) to C(plumb plan) and C(plumb apply).
    type: bool
    default: false
  verify:
    description:
      - Verify the manifest after applying it, and when it already matched. A failed
        verification fails the task. With C(false), C(--no-verify) is passed to C(plumb apply)
        and C(plumb verify) is not run.
    type: bool
    default: true
notes:
  - Check mode and diff mode are supported.
  - Exit codes of C(plumb) the module relies on are 0 (success; converged), 1 (error; nothing
    half-applied), 2 (changes pending) and 3 (verification failed).
'''

EXAMPLES = r'''
- name: Container networking as the manifest says
  plumb:
    manifest: /etc/plumb/demo.yaml
  become: true

- name: What would change (no kernel change), shown as commands
  plumb:
    manifest: /etc/plumb/demo.yaml
  check_mode: true
  diff: true

- name: Change the VF count of a NIC, destroying its live VFs
  plumb:
    manifest: /etc/plumb/sriov.yaml
    allow_disruptive: true
    binary: /usr/local/bin/plumb

- name: Remove everything Plumb made for the manifest
  plumb:
    manifest: /etc/plumb/demo.yaml
    state: absent
'''

RETURN = r'''
plan:
  description:
    - The plan as C(plumb plan --output json) prints it. For I(state=present) in a real run,
      the steps C(plumb apply) carried out (empty when converged); in check mode, the steps
      pending. For I(state=absent), the steps C(plumb destroy) carried out (not returned in
      check mode).
    - For a directory, a list of C({path, result, error}), one per manifest, each
      C(result) such a plan.
  returned: when plumb ran a plan, apply or destroy
  type: dict
  contains:
    manifest:
      description: The manifest's name.
      type: str
    owner:
      description: The ownership record's id (C(manifest-) and 16 hex digits).
      type: str
    converged:
      description: True when there was nothing to do.
      type: bool
    steps:
      description: One entry per kernel change.
      type: list
      elements: dict
      contains:
        action:
          description: The step's kind.
          type: str
        object:
          description: What it changes.
          type: str
        namespace:
          description: Where.
          type: str
        summary:
          description: The line the text plan prints.
          type: str
        command:
          description: The ip/nft/sysfs command the step equals.
          type: str
    notes:
      description: Remarks, such as objects left in place because they are not Plumb's.
      type: list
      elements: str
  sample:
    manifest: demo
    owner: manifest-3f9a1c2d4e5b6a70
    converged: false
    steps:
      - {action: create-netns, object: web, namespace: the host namespace,
         summary: "+ ip netns add web; ip -n web link set lo up", command: "ip netns add web; ip -n web link set lo up"}
    notes: []
verify:
  description:
    - The verification report as C(plumb verify --output json) prints it, one check per row
      with its C(status) (pass, fail, warn, skip), C(expected), C(observed) and C(evidence).
    - For a directory, a list of C({path, result, error}), one per manifest.
  returned: with I(state=present) and I(verify=true), outside check mode
  type: dict
  sample:
    manifest: demo
    ok: true
    host: {ok: true, checks: []}
    containers:
      - name: web
        netns: web
        ok: true
        checks:
          - {interface: eth0, name: probe, status: pass,
             expected: "10.88.0.1 answers from 02:a4:30:b6:b0:e5 (br0's MAC), rx moving",
             observed: "echo reply from 10.88.0.1; 10.88.0.1 is at 02:a4:30:b6:b0:e5, br0's MAC (REACHABLE); rx +4 packets",
             evidence: [icmp-echo, arp, rx-counters]}
    nics: []
record:
  description:
    - The ownership record Plumb holds for the manifest, as C(plumb show --output json) lists it; null when none.
    - For a directory, the list of the records its manifests have.
  returned: with I(state=absent) in check mode
  type: dict
rc:
  description: The exit code of the C(plumb) command the task failed on.
  returned: when the task failed on plumb
  type: int
stderr:
  description: That command's error text (the operation, the object and the errno of a kernel refusal).
  returned: when the task failed on plumb
  type: str
'''

import json
import os

from ansible.module_utils.basic import AnsibleModule

# plumb's documented exit codes (1, an error, is every other code).
EXIT_OK = 0
EXIT_PENDING = 2
EXIT_VERIFY_FAILED = 3


class Plumb(object):
    """The plumb CLI on this host: runs one subcommand and decodes its JSON.

    A manifest file's command prints one object; a directory's prints an array of
    {path, result | error}, one per manifest (each its own transaction). Both are handled
    as a list of such entries, and handed back in plumb's own shape."""

    def __init__(self, module, binary, manifest):
        self.module = module
        self.binary = binary
        self.manifest = manifest
        self.is_directory = os.path.isdir(manifest)

    def run(self, *args):
        """(rc, decoded JSON or None, stdout, stderr) of `plumb ARGS --output json`."""
        argv = [self.binary] + list(args) + ['--output', 'json']
        rc, out, err = self.module.run_command(argv, check_rc=False)
        try:
            data = json.loads(out) if out.strip() else None
        except ValueError:
            data = None
        return rc, data, out, err

    def fail(self, what, rc, out, err, **extra):
        """Fails the task with plumb's own message (its stderr names object, operation and errno)."""
        msg = err.strip() or out.strip() or 'no output'
        self.module.fail_json(msg='plumb %s failed (exit %d): %s' % (what, rc, msg),
                              rc=rc, stdout=out, stderr=err, **extra)

    def entries(self, what, rc, data, out, err):
        """The output as [{path, result, error}]; fails the task when there is none to decode."""
        if self.is_directory and isinstance(data, list):
            return data
        if not self.is_directory and isinstance(data, dict):
            return [{'path': self.manifest, 'result': data, 'error': None}]
        self.fail(what + ' (no JSON output)', rc, out, err)

    def shaped(self, entries, key=None):
        """Entries back in plumb's shape: a file's object, or a directory's list of
        {path, result, error}; with `key`, each result's field `key` (apply's plan or verify)."""
        def pick(result):
            return result.get(key) if key and isinstance(result, dict) else result
        if not self.is_directory:
            return pick(entries[0].get('result'))
        return [{'path': e.get('path'), 'error': e.get('error'), 'result': pick(e.get('result'))} for e in entries]


def results(entries, key=None):
    """The results of the manifests that have one (with `key`: that field of each)."""
    out = [e.get('result') for e in entries if isinstance(e.get('result'), dict)]
    return [r.get(key) for r in out if isinstance(r.get(key), dict)] if key else out


def errors(entries):
    """One line per manifest of a directory that failed: its path and plumb's error."""
    return ['%s: %s' % (e.get('path'), e['error']) for e in entries if e.get('error')]


def plan_text(plan, verb):
    """The plan as `plumb plan` prints it: a heading, one indented line per step (each the
    ip/nft command it equals, marked + ~ -), the notes. Indented, so Ansible's own diff
    markers stay apart from plumb's."""
    steps = plan.get('steps') or []
    lines = ['%s for manifest %s:' % (verb, plan.get('manifest', '?'))]
    lines += ['  ' + (s.get('summary') or s.get('command', '')) for s in steps]
    lines += ['  note: %s' % n for n in plan.get('notes') or []]
    lines.append('%s: %d steps.' % (verb, len(steps)))
    return '\n'.join(lines) + '\n'


def plan_diff(plans, verb, command):
    """Diff-mode text: nothing before, the plans that change something after: every step
    reads as an added line."""
    pending = [p for p in plans if not p.get('converged', True) or p.get('notes')]
    return {'before': '', 'after': ''.join(plan_text(p, verb) for p in pending),
            'before_header': 'kernel', 'after_header': command}


def namespace_name(ref):
    """A record's namespace reference ({"named": "web"}, {"pid": 1234}, {"host": true}) as text."""
    if not isinstance(ref, dict):
        return str(ref)
    if 'named' in ref:
        return 'netns %s' % ref['named']
    if ref.get('host'):
        return 'the host namespace'
    return ', '.join('%s %s' % kv for kv in sorted(ref.items()))


def record_lines(record):
    """What an ownership record lists, one object a line, as `plumb show` describes it."""
    lines = ['record %s:' % record.get('id', '?')]
    for n in record.get('namespaces') or []:
        lines.append('  %s %s' % ('created' if n.get('created') else 'uses', namespace_name(n.get('ref'))))
    for entry in record.get('links') or []:
        link = entry.get('link') or {}
        if entry.get('kind') == 'veth-peer':
            continue  # listed with its veth
        text = '  %s %s in %s' % (entry.get('kind'), link.get('name'), namespace_name(link.get('namespace')))
        peer = entry.get('peer')
        if peer:
            text += ' (peer %s in %s)' % (peer.get('name'), namespace_name(peer.get('namespace')))
        lines.append(text)
    if record.get('table'):
        lines.append('  nftables table %s' % record['table'])
    # The rest (sysctls, VFs, tuning, IRQs, modprobe) is restored rather than deleted: counted.
    for key in ('sysctls', 'movedVFs', 'vfs', 'numVFs', 'nics', 'irqs', 'modprobe', 'users'):
        if record.get(key):
            lines.append('  %s: %d' % (key, len(record[key])))
    return lines


def record_diff(records):
    """Diff-mode text for a destroy in check mode: the records' objects before, none after."""
    return {'before': ''.join('\n'.join(record_lines(r)) + '\n' for r in records), 'after': '',
            'before_header': 'plumb show', 'after_header': 'after plumb destroy'}


def failed_checks(reports):
    """One line per failed check: where, what, expected against observed."""
    rows = []
    for report in reports:
        groups = [('host', report.get('host') or {})]
        groups += [(c.get('name', '?'), c) for c in report.get('containers') or []]
        groups += [('nic %s' % n.get('name', '?'), n) for n in report.get('nics') or []]
        for where, group in groups:
            for c in group.get('checks') or []:
                if c.get('status') == 'fail':
                    what = ' '.join(x for x in [where, c.get('interface'), c.get('name')] if x)
                    rows.append('%s: expected %s, observed %s' % (what, c.get('expected'), c.get('observed')))
    return rows


def plan(plumb, params):
    """`plumb plan --detailed-exitcode`: (pending, entries). Read-only. A directory with a
    manifest plumb refuses fails here, before anything is applied."""
    args = ['plan', plumb.manifest, '--detailed-exitcode']
    if params['allow_disruptive']:
        args.append('--allow-disruptive')
    rc, data, out, err = plumb.run(*args)
    if rc not in (EXIT_OK, EXIT_PENDING):
        plumb.fail('plan', rc, out, err)
    return rc == EXIT_PENDING, plumb.entries('plan', rc, data, out, err)


def verify(plumb, result):
    """`plumb verify`: adds the report to `result`; a failed check fails the task with it."""
    rc, data, out, err = plumb.run('verify', plumb.manifest)
    if rc not in (EXIT_OK, EXIT_VERIFY_FAILED) and not (plumb.is_directory and isinstance(data, list)):
        plumb.fail('verify', rc, out, err, **result)
    entries = plumb.entries('verify', rc, data, out, err)
    result['verify'] = plumb.shaped(entries)
    if rc != EXIT_OK:
        why = errors(entries) + failed_checks(results(entries))
        plumb.module.fail_json(msg='plumb verify failed: ' + '; '.join(why), rc=rc, **result)


def apply(plumb, params, result):
    """`plumb apply` (which re-plans under plumb's lock, so the returned plan is what it did)."""
    args = ['apply', plumb.manifest]
    if params['allow_disruptive']:
        args.append('--allow-disruptive')
    if not params['verify']:
        args.append('--no-verify')
    rc, data, out, err = plumb.run(*args)
    if rc not in (EXIT_OK, EXIT_VERIFY_FAILED) and not (plumb.is_directory and isinstance(data, list)):
        # Exit 1 on a file: every change of this apply was undone, so nothing changed.
        result['changed'] = False
        plumb.fail('apply', rc, out, err, **result)
    entries = plumb.entries('apply', rc, data, out, err)
    # In a directory each manifest is its own transaction: those that applied stay applied.
    result['changed'] = any(not p.get('converged', True) for p in results(entries, 'plan'))
    result['plan'] = plumb.shaped(entries, 'plan')
    if params['verify']:
        result['verify'] = plumb.shaped(entries, 'verify')
    if rc == EXIT_VERIFY_FAILED:
        plumb.module.fail_json(msg='plumb applied the manifest but verification failed: '
                               + '; '.join(failed_checks(results(entries, 'verify'))), rc=rc, **result)
    if rc != EXIT_OK:
        plumb.module.fail_json(msg='plumb apply failed for: ' + '; '.join(errors(entries) or [err.strip()]),
                               rc=rc, stderr=err, **result)


def present(plumb, params, module):
    pending, planned = plan(plumb, params)
    result = {'changed': pending, 'plan': plumb.shaped(planned)}
    if module._diff and pending:
        result['diff'] = plan_diff(results(planned), 'Plan', 'plumb plan %s' % plumb.manifest)
    if module.check_mode:
        return result
    if pending:
        apply(plumb, params, result)
        if module._diff and result['changed']:
            plans = [result['plan']] if not plumb.is_directory else [e['result'] for e in result['plan'] if e.get('result')]
            result['diff'] = plan_diff(plans, 'Applied', 'plumb apply %s' % plumb.manifest)
    elif params['verify']:
        verify(plumb, result)
    return result


def owner_records(plumb):
    """The ownership records plumb holds for the manifest(s). The CLI has no dry run of
    destroy, so: the owner ids from `plumb plan` (it only reads the kernel) and the records
    from `plumb show` (it only reads /run/plumb)."""
    rc, data, out, err = plumb.run('plan', plumb.manifest)
    if rc != EXIT_OK:
        plumb.fail('plan (to find the manifest\'s owner id)', rc, out, err)
    owners = set(p.get('owner') for p in results(plumb.entries('plan', rc, data, out, err)))
    rc, data, out, err = plumb.run('show')
    if rc != EXIT_OK or not isinstance(data, dict):
        plumb.fail('show', rc, out, err)
    return [r for r in data.get('records') or [] if r.get('id') in owners]


def absent(plumb, module):
    if module.check_mode:
        records = owner_records(plumb)
        shown = records if plumb.is_directory else (records[0] if records else None)
        result = {'changed': bool(records), 'record': shown}
        if module._diff and records:
            result['diff'] = record_diff(records)
        return result
    rc, data, out, err = plumb.run('destroy', plumb.manifest)
    if rc != EXIT_OK and not (plumb.is_directory and isinstance(data, list)):
        plumb.fail('destroy', rc, out, err)
    entries = plumb.entries('destroy', rc, data, out, err)
    destroyed = results(entries)
    result = {'changed': any(not p.get('converged', True) for p in destroyed), 'plan': plumb.shaped(entries)}
    if module._diff and result['changed']:
        result['diff'] = plan_diff(destroyed, 'Destroyed', 'plumb destroy %s' % plumb.manifest)
    if rc != EXIT_OK:
        plumb.module.fail_json(msg='plumb destroy failed for: ' + '; '.join(errors(entries) or [err.strip()]),
                               rc=rc, stderr=err, **result)
    return result


def find_binary(module, binary):
    """A path is used as given; a bare name is looked up on PATH (and the usual sbin dirs)."""
    if os.sep in binary:
        if not os.access(binary, os.X_OK):
            module.fail_json(msg='plumb binary %s is missing or not executable' % binary)
        return binary
    return module.get_bin_path(binary, required=True)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            manifest=dict(type='path', required=True),
            state=dict(type='str', choices=['present', 'absent'], default='present'),
            binary=dict(type='str', default='plumb'),
            allow_disruptive=dict(type='bool', default=False),
            verify=dict(type='bool', default=True),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if not os.path.exists(params['manifest']):
        module.fail_json(msg='manifest %s does not exist on this host' % params['manifest'])
    plumb = Plumb(module, find_binary(module, params['binary']), params['manifest'])
    if params['state'] == 'present':
        result = present(plumb, params, module)
    else:
        result = absent(plumb, module)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
