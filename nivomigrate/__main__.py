from nivomigrate.cli import main

main()
