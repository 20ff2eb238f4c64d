-- Contacts stored in the domain's words: person kind visitor/staff/by_hand instead of
-- protobuf enum names (and MANUAL), status to_notify/notified/... instead of
-- CONTACT_STATUS_*.
UPDATE follow_up_contacts SET person_kind = 'visitor' WHERE person_kind = 'PERSON_KIND_VISITOR';
UPDATE follow_up_contacts SET person_kind = 'staff' WHERE person_kind = 'PERSON_KIND_STAFF';
UPDATE follow_up_contacts SET person_kind = 'by_hand' WHERE person_kind NOT IN ('visitor', 'staff');
UPDATE follow_up_contacts SET status = lower(substr(status, 16)) WHERE status LIKE 'CONTACT_STATUS_%';
