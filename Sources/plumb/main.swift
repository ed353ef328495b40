import PlumbCommands

// A CNI runtime runs plugins with CNI_COMMAND set; otherwise this is the CLI.
PlumbProcess.prepare()
if CNIPlugin.isInvoked() { CNIPlugin.main() }
PlumbCommand.main()
