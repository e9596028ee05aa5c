using MentorStatus.Sample.Api;

await SampleApp.Build(args).RunAsync();
