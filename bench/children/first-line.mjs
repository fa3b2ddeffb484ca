// Bench child: prints one line at once and exits (the job-start benchmark's command).
process.stdout.write('first line\n');
