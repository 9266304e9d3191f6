import { useI18n } from '../shared/i18n';

/** The labelled partner chooser of the operator's finance views (statement, reconciliation). */
export function PartnerSelect({
  id,
  partners,
  value,
  onChange,
}: {
  /** The id of the select; its label points to it. */
  id: string;
  partners: { id: string; name: string }[];
  value: string;
  onChange: (partnerId: string) => void;
}) {
  const { t } = useI18n();
  return (
    <div className="field">
      <label htmlFor={id}>{t('partner')}</label>
      <select id={id} value={value} onChange={(event) => onChange(event.target.value)}>
        {partners.map((partner) => (
          <option key={partner.id} value={partner.id}>
            {partner.name}
          </option>
        ))}
      </select>
    </div>
  );
}
