import PlumbCommands

PlumbCommand.main()
