using Npgsql;

namespace MentorStatus.Notifications;

/// <summary>
/// Reads what the channels need for a batch of claimed notifications in one query: the coordinator's
/// email (auth.users), each mentor's name and the chapters of that mentor this coordinator actively
/// coordinates (never the mentor's other chapters, which the coordinator may not see; none for a mentor
/// who reached them by the organisation fallback), the organisation's language, and the reason code with
/// its description (from the history row the job wrote: never free text, never health data).
/// </summary>
public static class NotificationContentReader
{
    private const string ContentSql = """
        select n.id,
               u.email,
               m.id,
               coalesce(m.display_name, '(removed)'),
               coalesce((select string_agg(c.name, ', ' order by c.name)
                         from public.chapter_memberships cm
                         join public.chapters c on c.id = cm.chapter_id
                         join public.coordinator_assignments ca
                           on ca.chapter_id = cm.chapter_id
                          and ca.user_id = n.coordinator_user_id
                          and ca.revoked_at is null
                         where cm.mentor_id = m.id), ''),
               coalesce(o.language, 'nb'),
               coalesce(o.name, ''),
               coalesce(rc.code, 'certification_expired'),
               coalesce(rc.description, ''),
               mid.id = any (n.fallback_mentor_ids)
        from public.coordinator_notifications n
        left join auth.users u on u.id = n.coordinator_user_id
        cross join lateral unnest(n.mentor_ids) as mid(id)
        left join public.peer_mentors m on m.id = mid.id
        left join public.organisations o on o.id = m.organisation_id
        left join lateral (
            select h.reason
            from public.peer_mentor_status_history h
            where h.mentor_id = mid.id and h.job_run_id = n.job_run_id
            order by h.changed_at desc
            limit 1
        ) h on true
        left join public.mentor_status_reason_codes rc on rc.code = h.reason
        where n.id = any ($1)
        order by n.id, m.display_name, mid.id
        """;

    /// <summary>Reads the message content of each notification in one query: the coordinator's email, the organisation's language and name, and each mentor with the reason recorded by that job run.</summary>
    /// <param name="dataSource">The database.</param>
    /// <param name="notifications">The claimed outbox rows.</param>
    /// <param name="ct">Cancels the query.</param>
    /// <returns>A message for every notification, by id (no email, nb and no mentors when nothing was found).</returns>
    public static async Task<Dictionary<Guid, NotificationMessage>> ReadAsync(
        NpgsqlDataSource dataSource, IReadOnlyCollection<CoordinatorNotification> notifications, CancellationToken ct)
    {
        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(Command(notifications));
        await using var r = await batch.ExecuteReaderAsync(ct);
        return await ReadAsync(r, notifications, ct);
    }

    /// <summary>The content query for <paramref name="notifications"/>, to send in a batch with other statements (one round trip).</summary>
    internal static NpgsqlBatchCommand Command(IReadOnlyCollection<CoordinatorNotification> notifications) =>
        new(ContentSql) { Parameters = { new NpgsqlParameter { Value = notifications.Select(n => n.Id).ToArray() } } };

    /// <summary>The messages from the current result of <paramref name="r"/>, positioned on the rows of <see cref="Command"/>.</summary>
    internal static async Task<Dictionary<Guid, NotificationMessage>> ReadAsync(
        NpgsqlDataReader r, IReadOnlyCollection<CoordinatorNotification> notifications, CancellationToken ct)
    {
        var rows = new Dictionary<Guid, (string? Email, string Language, string Organisation, List<NotifiedMentor> Mentors)>(notifications.Count);
        while (await r.ReadAsync(ct))
        {
            var id = r.GetGuid(0);
            if (!rows.TryGetValue(id, out var entry))
                rows[id] = entry = (r.IsDBNull(1) ? null : r.GetString(1), r.GetString(5), r.GetString(6), []);
            entry.Mentors.Add(new NotifiedMentor(r.GetGuid(2), r.GetString(3), r.GetString(4), r.GetString(7), r.GetString(8), r.GetBoolean(9)));
        }
        return notifications.ToDictionary(n => n.Id, n => rows.TryGetValue(n.Id, out var e)
            ? new NotificationMessage(n, string.IsNullOrWhiteSpace(e.Email) ? null : e.Email, e.Language, e.Organisation, e.Mentors)
            : new NotificationMessage(n, null, "nb", "", []));
    }
}
