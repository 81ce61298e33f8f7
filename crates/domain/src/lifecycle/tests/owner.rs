use super::*;

fn as_member(actor: &Actor) -> Member {
    actor.member().unwrap().clone()
}

#[test]
fn a_member_takes_a_report_and_another_is_assigned_it() {
    let r = received();
    let me = member(1, false);
    let taken = step(
        &r,
        Command::SetOwner {
            owner: Some(as_member(&me)),
        },
        &me,
    )
    .unwrap();
    assert_eq!(taken.report.owner, Some(UserId(1)));
    assert_eq!(taken.audit.action, "owner");
    assert_eq!(taken.audit.detail, "taken by Member 1");
    assert!(
        taken.mails.is_empty(),
        "owning a report tells nobody outside"
    );

    let other = as_member(&member(2, false));
    let assigned = step(
        &taken.report,
        Command::SetOwner {
            owner: Some(other.clone()),
        },
        &me,
    )
    .unwrap();
    assert_eq!(assigned.report.owner, Some(UserId(2)));
    assert_eq!(assigned.audit.detail, "assigned to Member 2");

    let again = step(
        &assigned.report,
        Command::SetOwner { owner: Some(other) },
        &me,
    );
    assert!(again.unwrap_err().to_string().contains("already owns"));

    let released = step(&assigned.report, Command::SetOwner { owner: None }, &me).unwrap();
    assert_eq!(released.report.owner, None);
    assert_eq!(released.audit.detail, "released");
    let twice = step(&released.report, Command::SetOwner { owner: None }, &me);
    assert!(twice.unwrap_err().to_string().contains("nobody owns"));
}

#[test]
fn only_the_handling_team_can_own_a_report() {
    let r = received();
    let me = member(1, false);
    let mut outsider = as_member(&member(3, false));
    outsider.projects = vec![ProjectId(99)];
    let err = step(
        &r,
        Command::SetOwner {
            owner: Some(outsider.clone()),
        },
        &me,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("not on the team"), "{err}");
    // The organisation team handles every project.
    outsider.org_team = true;
    assert!(
        step(
            &r,
            Command::SetOwner {
                owner: Some(outsider)
            },
            &me
        )
        .is_ok()
    );
    // A closed report takes no owner.
    let rejected = step(
        &r,
        Command::Reject {
            reason: "not a vulnerability".into(),
        },
        &me,
    )
    .unwrap()
    .report;
    assert!(
        step(
            &rejected,
            Command::SetOwner {
                owner: Some(as_member(&me))
            },
            &me
        )
        .is_err()
    );
}
