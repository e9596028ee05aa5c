using MentorStatus.Worker;

// mentorstatus-worker: configuration from appsettings.json, appsettings.{Environment}.json and the environment
// (MentorStatus__ConnectionString, Worker__ExpirySchedule, ...). See README "Use it from .NET".
await WorkerApp.Build(args).RunAsync();
