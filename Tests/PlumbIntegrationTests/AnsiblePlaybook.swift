import Foundation

/// `ansible-playbook` driving the repository's Ansible module (`ansible/library/plumb.py`)
/// inside a sandbox, as an operator would run it against `localhost` with the local
/// connection. Everything Ansible writes (its home, temporaries, the per-host results) goes to
/// the sandbox's scratch directory, and its configuration is a file there, so neither the
/// real home nor a config file of this machine plays a part.
struct AnsiblePlaybook {
    let sandbox: Sandbox
    /// The playbook, written into the scratch directory.
    let path: String
    private var runs = 0

    static let library = PlumbBinary.packageRoot.appendingPathComponent("ansible/library").path

    /// One play on every host of the inventory, one task: the module with the given options
    /// (extra vars); gathering facts would only slow each run.
    static let text = """
        - hosts: all
          gather_facts: false
          tasks:
            - name: plumb
              plumb:
                manifest: "{{ manifest }}"
                binary: "{{ binary }}"
                state: "{{ state }}"
        """

    init(_ sandbox: Sandbox) throws {
        guard Self.onPath("ansible-playbook") else {
            throw SubprocessError(description: "ansible-playbook is not installed: scripts/install.sh installs ansible-core")
        }
        self.sandbox = sandbox
        path = try sandbox.writeManifest(Self.text, fileName: "plumb-playbook.yml")
        _ = try sandbox.writeManifest("[defaults]\n", fileName: "ansible.cfg")
    }

    /// What one run left: the process (stdout has the task lines, the diff and the recap),
    /// and the module's result as the `tree` callback saved it for localhost.
    struct Run: Sendable, CustomStringConvertible {
        var command: CommandResult
        /// The task result's JSON text; empty when Ansible wrote none.
        var resultJSON: String

        var result: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(resultJSON.utf8))) as? [String: Any] ?? [:]
        }
        var changed: Bool? { result["changed"] as? Bool }
        /// The saved result carries no `failed` flag; the recap counts the failed task.
        var failed: Bool { (recap["failed"] ?? 0) > 0 }
        /// plumb's exit code, when the module failed on it.
        var plumbExit: Int? { result["rc"] as? Int }
        /// The plan's step commands (`plan.steps[].command`).
        var planCommands: [String] {
            ((result["plan"] as? [String: Any])?["steps"] as? [[String: Any]] ?? []).compactMap { $0["command"] as? String }
        }
        var verifyOK: Bool? { (result["verify"] as? [String: Any])?["ok"] as? Bool }

        /// The recap's counters for localhost: `localhost : ok=1 changed=0 … failed=0 …`.
        var recap: [String: Int] {
            guard let line = command.stdout.split(separator: "\n").last(where: { $0.hasPrefix("localhost") && $0.contains("changed=") })
            else { return [:] }
            var counts: [String: Int] = [:]
            for field in line.split(separator: " ") {
                let kv = field.split(separator: "=")
                if kv.count == 2, let n = Int(kv[1]) { counts[String(kv[0])] = n }
            }
            return counts
        }

        var description: String { "\(command)\n--- task result\n\(resultJSON)" }
    }

    /// `ansible-playbook -c local -i localhost, PLAYBOOK -e {manifest, binary, state} EXTRA…`:
    /// the module alone, with these options.
    mutating func run(manifest: String, state: String = "present", _ extra: String...) throws -> Run {
        let vars = try JSONSerialization.data(withJSONObject: [
            "manifest": manifest, "binary": try PlumbBinary.path(), "state": state])
        return try run(["-c", "local", "-i", "localhost,", path, "-e", String(decoding: vars, as: UTF8.self)] + extra,
                       shown: ["-c", "local", "-i", "localhost,", "(module playbook)", "-e", "state=\(state)"] + extra)
    }

    /// `ansible-playbook ARGS` inside the sandbox's network and mount namespaces.
    mutating func run(_ args: [String], shown: [String]? = nil) throws -> Run {
        runs += 1
        let scratch = sandbox.scratch.path
        let tree = "\(scratch)/ansible-tree-\(runs)"
        let env = [
            "HOME": scratch,
            "ANSIBLE_CONFIG": "\(scratch)/ansible.cfg",
            "ANSIBLE_LOCAL_TEMP": "\(scratch)/ansible-local",
            "ANSIBLE_REMOTE_TEMP": "\(scratch)/ansible-remote",
            "ANSIBLE_LIBRARY": Self.library,
            // The tree callback saves each host's last task result as JSON: the module's own
            // return values, not a parse of the screen output.
            "ANSIBLE_CALLBACKS_ENABLED": "tree",
            "ANSIBLE_CALLBACK_TREE_DIR": tree,
            "ANSIBLE_STDOUT_CALLBACK": "default",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_PYTHON_INTERPRETER": "auto_silent",
            "ANSIBLE_RETRY_FILES_ENABLED": "false",
        ]
        var command = try sandbox.run(["ansible-playbook"] + args, environment: env, timeout: .seconds(150))
        command.argv = ["ansible-playbook"] + (shown ?? args)
        let saved = (try? String(contentsOfFile: "\(tree)/localhost", encoding: .utf8)) ?? ""
        return Run(command: command, resultJSON: saved)
    }

    private static func onPath(_ name: String) -> Bool {
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
            .contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(name)") }
    }
}
